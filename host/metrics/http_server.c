/* /metrics, /health and /ready over libmicrohttpd. */
#include "metrics/http_server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics/prometheus_text.h"
#include "services/log.h"

#define CONNECTION_LIMIT 32
#define CONNECTION_TIMEOUT_S 10
#define LISTEN_BACKLOG 16

struct http_server {
    struct MHD_Daemon *daemon;
    pipeline_metrics *metrics;
    int port;
};

static enum MHD_Result respond(struct MHD_Connection *connection, unsigned int status,
                               const char *content_type, char *body, size_t length)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(length, body, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

static enum MHD_Result respond_text(struct MHD_Connection *connection, unsigned int status,
                                    const char *fmt, ...) PH_PRINTF(3, 4);

static enum MHD_Result respond_text(struct MHD_Connection *connection, unsigned int status,
                                    const char *fmt, ...)
{
    char *body = NULL;
    va_list ap;
    va_start(ap, fmt);
    int length = vasprintf(&body, fmt, ap);
    va_end(ap);
    if (length < 0)
        return MHD_NO;
    return respond(connection, status, "text/plain; charset=utf-8", body, (size_t)length);
}

static enum MHD_Result answer_ready(struct MHD_Connection *connection, pipeline_metrics *m)
{
    pipeline_snapshot now;
    pipeline_metrics_snapshot(m, &now);
    if (!now.assigned)
        return respond_text(connection, MHD_HTTP_SERVICE_UNAVAILABLE,
                            "not ready: no partitions assigned yet\n");
    if (now.stalled)
        return respond_text(connection, MHD_HTTP_SERVICE_UNAVAILABLE,
                            "not ready: %zu stalled: %s\n", now.stalled, now.stalled_names);
    return respond_text(connection, MHD_HTTP_OK, "ready: %zu partitions assigned\n",
                        now.partitions);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *connection, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **request_state)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)request_state;
    http_server *s = cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return respond_text(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    if (strcmp(url, "/metrics") == 0) {
        size_t length;
        char *text = prometheus_render(s->metrics->registry, &length);
        if (!text)
            return respond_text(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
        return respond(connection, MHD_HTTP_OK, PROMETHEUS_CONTENT_TYPE, text, length);
    }
    if (strcmp(url, "/health") == 0)
        return respond_text(connection, MHD_HTTP_OK, "alive\n");
    if (strcmp(url, "/ready") == 0)
        return answer_ready(connection, s->metrics);
    return respond_text(connection, MHD_HTTP_NOT_FOUND, "not found: try /metrics, /health or /ready\n");
}

static void log_from_microhttpd(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char message[512];
    vsnprintf(message, sizeof(message), fmt, ap);
    message[strcspn(message, "\n")] = '\0';
    log_warn("http", "%s", message);
}

/* Bind the socket ourselves: exactly the address written, a clear error
 * when it is taken, and the port when 0 asked for any. */
static int open_listener(const listen_address *address, int *port, char *err, size_t err_size)
{
    char where[80];
    listen_address_format(address, ntohs(((const struct sockaddr_in *)&address->address)->sin_port),
                          where, sizeof(where));
    int fd = socket(address->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_size, "cannot listen on %s: %s", where, strerror(errno));
        return -1;
    }
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (address->family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    struct sockaddr_storage bound;
    socklen_t bound_len = sizeof(bound);
    if (bind(fd, (const struct sockaddr *)&address->address, address->address_len) != 0 ||
        listen(fd, LISTEN_BACKLOG) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &bound_len) != 0) {
        snprintf(err, err_size, "cannot listen on %s: %s", where, strerror(errno));
        close(fd);
        return -1;
    }
    /* sin_port and sin6_port sit at the same place. */
    *port = ntohs(((const struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

http_server *http_server_start(const listen_address *address, pipeline_metrics *m, char *err,
                               size_t err_size)
{
    http_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    s->metrics = m;
    int fd = open_listener(address, &s->port, err, err_size);
    if (fd < 0) {
        free(s);
        return NULL;
    }
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (address->family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, answer, s,
                                 MHD_OPTION_EXTERNAL_LOGGER, log_from_microhttpd, NULL,
                                 MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, err_size, "cannot start the HTTP server");
        close(fd);
        free(s);
        return NULL;
    }
    return s;
}

int http_server_port(const http_server *s) { return s->port; }

void http_server_stop(http_server *s)
{
    if (!s)
        return;
    /* Closes the listening socket too. */
    MHD_stop_daemon(s->daemon);
    free(s);
}
