/*
 * redisfix.c - the shared harness of the Redis modules' unit tests (see
 * redisfix.h).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "leakcheck.h"
#include "redisfix.h"

/* ------------------------------------------------------------------------
 * The server child
 * ---------------------------------------------------------------------- */

pid_t srv_pid = -1;
int srv_port;
bool srv_stopped;

int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	cr_assert_geq(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

bool
port_accepts(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}

void
need_server(void)
{
	if (access(REDIS_SERVER, X_OK) != 0)
		cr_skip_test("%s is not installed", REDIS_SERVER);
}

void
srv_start(int port, const char *password)
{
	char portbuf[16];
	pid_t parent = getpid(), pid;
	int64_t end;

	if (port == 0)
		port = free_port();
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		const char *argv[] = {
			REDIS_SERVER, "--port", portbuf, "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "no", "--daemonize", "no", "--dir", "/tmp",
			"--enable-debug-command", "local",
			password ? "--requirepass" : NULL, password, NULL,
		};
		int devnull;

		/* Dies with the test, whatever kills the test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execv(REDIS_SERVER, (char *const *)argv);
		_exit(127);
	}
	srv_pid = pid;
	srv_port = port;
	srv_stopped = false;
	end = util_mono_ms() + 5000;
	while (!port_accepts(port)) {
		int status;

		cr_assert_eq(waitpid(pid, &status, WNOHANG), 0, "redis-server exited at start");
		cr_assert_lt(util_mono_ms(), end, "redis-server did not accept within 5 s");
		usleep(5000);
	}
}

void
srv_kill(void)
{
	if (srv_pid <= 0)
		return;
	kill(srv_pid, SIGKILL);
	waitpid(srv_pid, NULL, 0);
	srv_pid = -1;
}

void
srv_stop(void)
{
	cr_assert_eq(kill(srv_pid, SIGSTOP), 0);
	srv_stopped = true;
}

void
srv_cont(void)
{
	cr_assert_eq(kill(srv_pid, SIGCONT), 0);
	srv_stopped = false;
}

redisReply *
admin(const char *password, const char *fmt, ...)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", srv_port, tv);
	redisReply *rep;
	va_list ap;

	cr_assert(c != NULL && c->err == 0, "admin connect: %s", c ? c->errstr : "?");
	if (password != NULL) {
		rep = redisCommand(c, "AUTH %s", password);
		cr_assert(rep != NULL && rep->type == REDIS_REPLY_STATUS);
		freeReplyObject(rep);
	}
	va_start(ap, fmt);
	rep = redisvCommand(c, fmt, ap);
	va_end(ap);
	cr_assert_not_null(rep, "admin: %s", c->errstr);
	redisFree(c);
	return rep;
}

int
listen_silent(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 64), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	srv_port = ntohs(sa.sin_port);
	return fd;
}

static void
on_fake_read(evutil_socket_t fd, short what, void *arg)
{
	char buf[512];

	(void)what;
	(void)arg;
	if (read(fd, buf, sizeof(buf)) > 0)
		(void)!write(fd, "+PONG\r\n", 7);
}

static void
on_fake_accept(evutil_socket_t fd, short what, void *arg)
{
	int c = accept(fd, NULL, NULL);

	(void)what;
	(void)arg;
	if (c >= 0)
		event_add(event_new(base, c, EV_READ | EV_PERSIST, on_fake_read, NULL), NULL);
}

void
fake_pong_start(void)
{
	int fd = listen_silent();

	event_add(event_new(base, fd, EV_READ | EV_PERSIST, on_fake_accept, NULL), NULL);
}

/* ------------------------------------------------------------------------
 * Loops, logs, leaks
 * ---------------------------------------------------------------------- */

struct event_base *base, *base2;
static struct event *tick, *tick2;
static int saved_stderr = -1, log_fd = -1;

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static struct event_base *
loop_make(struct event **t)
{
	struct event_config *ec = event_config_new();
	struct timeval tv = { 0, 2000 };
	struct event_base *b;

	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	b = event_base_new_with_config(ec);
	event_config_free(ec);
	cr_assert_not_null(b);
	*t = event_new(b, -1, EV_PERSIST, on_tick, NULL);
	event_add(*t, &tv);
	return b;
}

void
loop_new(void)
{
	base = loop_make(&tick);
}

void
loop_new2(void)
{
	base2 = loop_make(&tick2);
}

void
loop_once(void)
{
	if (base2 == NULL) {
		event_base_loop(base, EVLOOP_ONCE);
		return;
	}
	/* Both without blocking, then a pause of at most one tick on the first. */
	event_base_loop(base2, EVLOOP_NONBLOCK);
	event_base_loop(base, EVLOOP_ONCE);
	event_base_loop(base2, EVLOOP_NONBLOCK);
}

void
capture_start(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/tmp/ghpool-ut-redis-XXXXXX");
	log_fd = mkstemp(path);
	cr_assert_geq(log_fd, 0);
	unlink(path);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(log_fd, STDERR_FILENO);
}

char *
capture_stop(void)
{
	char *buf = calloc(1, 65536);
	ssize_t n;
	size_t len = 0;

	if (saved_stderr < 0)
		return buf;
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
	lseek(log_fd, 0, SEEK_SET);
	while (len < 65535 && (n = read(log_fd, buf + len, 65535 - len)) > 0)
		len += (size_t)n;
	close(log_fd);
	log_fd = -1;
	return buf;
}

int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

void
fix_suite_init(void)
{
	signal(SIGPIPE, SIG_IGN);
}

void
fix_suite_fini(void)
{
	char *rest = capture_stop();

	free(rest);
	if (srv_stopped && srv_pid > 0)
		kill(srv_pid, SIGCONT);
	srv_kill();
}

void
finish(void)
{
	event_free(tick);
	event_base_free(base);
	base = NULL;
	if (base2 != NULL) {
		event_free(tick2);
		event_base_free(base2);
		base2 = NULL;
	}
	leakcheck_assert();
}
