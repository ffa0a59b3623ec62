"""A private PostgreSQL server for tests and benchmarks, from Debian's
packages: initdb into a temporary folder, listening only on 127.0.0.1 on a
free port, with its Unix socket in that folder, and removed with it. When
we run as root (postgres refuses to), the server runs as `nobody`.
Clients connect over TCP as the superuser `postgres`: without a password
(trust), or, with password= given, only with it (scram-sha-256)."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

BIN = os.environ.get("PIPEHOST_PG_BIN", "/usr/lib/postgresql/15/bin")
SERVER_USER = "nobody"


def available():
    return all(os.access(os.path.join(BIN, tool), os.X_OK)
               for tool in ("initdb", "pg_ctl", "postgres", "psql"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, password=None, durable=True):
        """durable=False turns fsync off: quicker, for tests that check
        contents and never crash the machine."""
        self.password = password
        self.folder = tempfile.mkdtemp(prefix="pipehost-pg-")
        self.data = os.path.join(self.folder, "data")
        self.log = os.path.join(self.folder, "server.log")
        self.port = free_port()
        self.running = False
        try:
            self._initdb(durable)
            self.start()
        except BaseException:
            self.close()
            raise

    def _as_server_user(self, args):
        if os.geteuid() != 0:
            return args
        return ["runuser", "-u", SERVER_USER, "--"] + args

    def _run(self, args, timeout=60):
        result = subprocess.run(self._as_server_user(args), cwd=self.folder, capture_output=True,
                                text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}{self.server_log()}")
        return result

    def _initdb(self, durable):
        args = [os.path.join(BIN, "initdb"), "-D", self.data, "-U", "postgres", "-E", "UTF8",
                "--locale=C", "--no-sync", "--auth-local=trust"]
        if self.password is not None:
            pwfile = os.path.join(self.folder, "pwfile")
            with open(pwfile, "w") as f:
                f.write(self.password + "\n")
            args += ["--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
        else:
            args += ["--auth-host=trust"]
        if os.geteuid() == 0:
            shutil.chown(self.folder, SERVER_USER)
            os.chmod(self.folder, 0o700)
        self._run(args)
        if self.password is not None:
            os.unlink(os.path.join(self.folder, "pwfile"))
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.folder}'\n"
                       "max_connections = 60\nshared_buffers = 32MB\n"
                       f"fsync = {'on' if durable else 'off'}\n")

    def start(self):
        self._run([os.path.join(BIN, "pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60",
                   "start"], timeout=90)
        self.running = True

    def stop(self, mode="fast"):
        """Stop; fast mode ends the sessions (clients see the server go away)."""
        if self.running:
            self._run([os.path.join(BIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t", "60",
                       "stop"], timeout=90)
            self.running = False

    def close(self):
        """Stop the server (whatever happened before) and remove its folder."""
        try:
            if os.path.exists(os.path.join(self.data, "postmaster.pid")):
                subprocess.run(self._as_server_user(
                    [os.path.join(BIN, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w",
                     "-t", "30", "stop"]), cwd=self.folder, capture_output=True, timeout=60)
        finally:
            self.running = False
            shutil.rmtree(self.folder, ignore_errors=True)

    def conninfo(self, dbname="postgres", password=None):
        text = f"host=127.0.0.1 port={self.port} dbname={dbname} user=postgres"
        if password is not None:
            text += f" password={password}"
        return text

    def psql(self, sql, timeout=30):
        """Rows of sql's last statement, each a tuple of text fields ('' for NULL)."""
        env = dict(os.environ)
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        result = subprocess.run(
            [os.path.join(BIN, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
             "-c", sql],
            capture_output=True, text=True, timeout=timeout, env=env)
        if result.returncode != 0:
            raise RuntimeError(f"psql: {sql}: {result.stderr}")
        return [tuple(line.split("\t")) for line in result.stdout.splitlines() if line]

    def server_log(self):
        try:
            with open(self.log) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def wait_until(predicate, timeout, interval=0.2):
    """predicate() until true, for at most timeout seconds; its last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value
