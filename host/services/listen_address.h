/*
 * An address to listen on, as a pipeline file writes it: HOST:PORT with
 * HOST an IPv4 address, an IPv6 address in brackets or "localhost", and
 * PORT from 0 to 65535 (0: any free port). A bare PORT (or ":PORT")
 * means 127.0.0.1. No name is looked up: what is written is what is bound.
 */
#ifndef PIPEHOST_SERVICES_LISTEN_ADDRESS_H
#define PIPEHOST_SERVICES_LISTEN_ADDRESS_H

#include <netinet/in.h>
#include <sys/socket.h>

#define LISTEN_ADDRESS_DEFAULT_HOST "127.0.0.1"

typedef struct listen_address {
    struct sockaddr_storage address;
    socklen_t address_len;
    int family; /* AF_INET or AF_INET6 */
} listen_address;

/* 0, or -1 when text is not of that form. */
int listen_address_parse(const char *text, listen_address *out);

/* Whether only this machine can connect: 127.0.0.0/8 or ::1. */
int listen_address_is_loopback(const listen_address *address);

/* "127.0.0.1:9464" or "[::1]:9464" with the given port, into buf. */
void listen_address_format(const listen_address *address, int port, char *buf, size_t size);

#endif
