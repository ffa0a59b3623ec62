/*
 * The metrics and health endpoint (libmicrohttpd, on its own thread):
 *   GET /metrics  the pipeline's metrics in Prometheus text format
 *   GET /health   200 while the process is alive
 *   GET /ready    200 once partitions are assigned and none is stalled,
 *                 503 otherwise; the body says why
 * It binds exactly the address it is given (the pipeline's http.listen).
 */
#ifndef PIPEHOST_METRICS_HTTP_SERVER_H
#define PIPEHOST_METRICS_HTTP_SERVER_H

#include <stddef.h>

#include "metrics/pipeline_metrics.h"
#include "services/listen_address.h"

typedef struct http_server http_server;

/* Listen on address (port 0: any free one) and serve m. NULL with a
 * message in err. */
http_server *http_server_start(const listen_address *address, pipeline_metrics *m, char *err,
                               size_t err_size);

/* The port it listens on. */
int http_server_port(const http_server *s);

/* Stop serving, close the socket, free. Accepts NULL. */
void http_server_stop(http_server *s);

#endif
