/* `pipehost broker --control`: the command lines and their answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli/broker_control.h"

static int start(void **state)
{
    char err[256];
    *state = embedded_broker_start(2, err, sizeof(err));
    return *state ? 0 : -1;
}

static int stop(void **state)
{
    embedded_broker_stop(*state);
    return 0;
}

static void answers(embedded_broker *broker, const char *line, int rc, const char *reply)
{
    char got[512];
    assert_int_equal(broker_control_execute(broker, line, got, sizeof(got)), rc);
    assert_string_equal(got, reply);
}

static void faults_are_injected(void **state)
{
    embedded_broker *broker = *state;
    answers(broker, "down 2", 0, "ok");
    answers(broker, "up 2\n", 0, "ok");
    answers(broker, "  rtt 1 250 ", 0, "ok");
    answers(broker, "rtt 1 0", 0, "ok");
    answers(broker, "fail-requests Produce 3 REQUEST_TIMED_OUT", 0, "ok");
    answers(broker, "fail-requests offsetcommit 1 _TRANSPORT", 0, "ok");
    answers(broker, "fail-requests 0 2 7", 0, "ok");
}

static void mistakes_are_answered(void **state)
{
    embedded_broker *broker = *state;
    answers(broker, "", -1, "error: empty command");
    answers(broker, "down 9", -1, "error: no broker '9'");
    answers(broker, "up x", -1, "error: no broker 'x'");
    answers(broker, "rtt 1 -5", -1, "error: rtt: '-5' is not milliseconds from 0 to 600000");
    answers(broker, "fail-requests Nope 1 UNKNOWN", -1, "error: fail-requests: unknown API 'Nope'");
    answers(broker, "fail-requests Produce 0 UNKNOWN", -1,
            "error: fail-requests: '0' is not a count from 1 to 1000000");
    answers(broker, "fail-requests Produce 1 NO_SUCH_ERROR", -1,
            "error: fail-requests: unknown error 'NO_SUCH_ERROR'");
    answers(broker, "down", -1,
            "error: cannot run 'down': expected down ID, up ID, rtt ID MS or fail-requests API "
            "COUNT ERROR");
    answers(broker, "reboot 1", -1,
            "error: cannot run 'reboot': expected down ID, up ID, rtt ID MS or fail-requests API "
            "COUNT ERROR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(faults_are_injected),
        cmocka_unit_test(mistakes_are_answered),
    };
    return cmocka_run_group_tests(tests, start, stop);
}
