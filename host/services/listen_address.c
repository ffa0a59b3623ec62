/* Parsing HOST:PORT for a listening socket, without name lookups. */
#include "services/listen_address.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* PORT: 1 to 5 digits, at most 65535. 0 or -1. */
static int parse_port(const char *text, int *port)
{
    size_t digits = strspn(text, "0123456789");
    if (digits == 0 || digits > 5 || text[digits] != '\0')
        return -1;
    int value = 0;
    for (size_t i = 0; i < digits; i++)
        value = value * 10 + (text[i] - '0');
    if (value > 65535)
        return -1;
    *port = value;
    return 0;
}

static int set_ipv4(const char *host, int port, listen_address *out)
{
    struct sockaddr_in *in = (struct sockaddr_in *)&out->address;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
        return -1;
    out->address_len = sizeof(*in);
    out->family = AF_INET;
    return 0;
}

static int set_ipv6(const char *host, int port, listen_address *out)
{
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->address;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
        return -1;
    out->address_len = sizeof(*in6);
    out->family = AF_INET6;
    return 0;
}

int listen_address_parse(const char *text, listen_address *out)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *port_text;
    int port;

    memset(out, 0, sizeof(*out));
    if (text == NULL)
        return -1;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        size_t length = close ? (size_t)(close - text - 1) : 0;
        if (!close || close[1] != ':' || length == 0 || length >= sizeof(host))
            return -1;
        memcpy(host, text + 1, length);
        host[length] = '\0';
        return parse_port(close + 2, &port) == 0 ? set_ipv6(host, port, out) : -1;
    }
    port_text = strrchr(text, ':');
    if (port_text == NULL)
        return parse_port(text, &port) == 0 ? set_ipv4(LISTEN_ADDRESS_DEFAULT_HOST, port, out)
                                            : -1;
    size_t length = (size_t)(port_text - text);
    if (length >= sizeof(host) || memchr(text, ':', length) != NULL)
        return -1; /* an IPv6 address needs brackets */
    memcpy(host, text, length);
    host[length] = '\0';
    if (parse_port(port_text + 1, &port) != 0)
        return -1;
    if (length == 0 || strcmp(host, "localhost") == 0)
        return set_ipv4(LISTEN_ADDRESS_DEFAULT_HOST, port, out);
    return set_ipv4(host, port, out);
}

int listen_address_is_loopback(const listen_address *address)
{
    if (address->family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&address->address;
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    const struct sockaddr_in *in = (const struct sockaddr_in *)&address->address;
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
}

void listen_address_format(const listen_address *address, int port, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN];
    if (address->family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&address->address;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        snprintf(buf, size, "[%s]:%d", host, port);
    } else {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&address->address;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        snprintf(buf, size, "%s:%d", host, port);
    }
}
