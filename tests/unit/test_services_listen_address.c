/* HOST:PORT for the metrics endpoint: what is written is what is bound. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "services/listen_address.h"

static void assert_formats_as(const char *text, const char *expected, int family)
{
    listen_address address;
    char formatted[80];
    if (listen_address_parse(text, &address) != 0)
        fail_msg("'%s' was refused", text);
    assert_int_equal(address.family, family);
    int port = ntohs(((const struct sockaddr_in *)&address.address)->sin_port);
    listen_address_format(&address, port, formatted, sizeof(formatted));
    assert_string_equal(formatted, expected);
}

static void test_addresses_that_parse(void **state)
{
    (void)state;
    assert_formats_as("127.0.0.1:9464", "127.0.0.1:9464", AF_INET);
    assert_formats_as("0.0.0.0:80", "0.0.0.0:80", AF_INET);
    assert_formats_as("10.1.2.3:0", "10.1.2.3:0", AF_INET);
    assert_formats_as("localhost:9464", "127.0.0.1:9464", AF_INET);
    assert_formats_as(":9464", "127.0.0.1:9464", AF_INET);
    assert_formats_as("9464", "127.0.0.1:9464", AF_INET);
    assert_formats_as("[::1]:9464", "[::1]:9464", AF_INET6);
    assert_formats_as("[::]:65535", "[::]:65535", AF_INET6);
}

static void test_addresses_that_are_refused(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "",          "127.0.0.1",      "127.0.0.1:",     "127.0.0.1:65536", "127.0.0.1:-1",
        "127.0.0.1:9x", "127.1:9464",  "example.com:80", "::1:9464",        "[::1]",
        "[::1]9464", "[]:9464",        "[127.0.0.1]:80", "999999",          "1.2.3.4:123456",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        listen_address address;
        if (listen_address_parse(refused[i], &address) == 0)
            fail_msg("'%s' was accepted", refused[i]);
    }
    listen_address address;
    assert_int_equal(listen_address_parse(NULL, &address), -1);
}

static void test_loopback_addresses(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int loopback;
    } cases[] = {
        {"127.0.0.1:1", 1}, {"127.8.9.10:1", 1}, {"localhost:1", 1}, {"[::1]:1", 1},
        {"0.0.0.0:1", 0},   {"10.0.0.1:1", 0},   {"[::]:1", 0},       {"128.0.0.1:1", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        listen_address address;
        assert_int_equal(listen_address_parse(cases[i].text, &address), 0);
        if (listen_address_is_loopback(&address) != cases[i].loopback)
            fail_msg("%s: loopback should be %d", cases[i].text, cases[i].loopback);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses_that_parse),
        cmocka_unit_test(test_addresses_that_are_refused),
        cmocka_unit_test(test_loopback_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
