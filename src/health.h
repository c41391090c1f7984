/*
 * health: `ghpool --health-check [URL]`, a container's probe that needs no
 * curl or wget in the image. One GET, bounded in time and never through a
 * proxy; it reads no configuration, so it resolves no secret, however often
 * it runs.
 */
#ifndef GHPOOL_HEALTH_H
#define GHPOOL_HEALTH_H

#include <stddef.h>
#include <stdio.h>

/*
 * The URL to probe: arg as given (http or https; no path, or "/", becomes
 * "/healthz"), or with arg NULL http://127.0.0.1:<GHPOOL_PORT>/healthz,
 * port 8080 unless envp's GHPOOL_PORT is a port (1-65535). A fresh string;
 * NULL with the reason in err.
 */
char *health_url(const char *arg, char *const *envp, char *err, size_t errlen);

/*
 * Probes: 0 when the answer is HTTP 200, else 1 (also for a bad URL:
 * container runtimes reserve other codes) after one line on out,
 * "ghpool: health check of <url>: <reason>". Never prints the body.
 * libcurl must be initialised.
 */
int health_check(const char *arg, char *const *envp, FILE *out);

#endif
