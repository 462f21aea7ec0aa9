// The streaming load client of scripts/bench: holds many SSE streams at once and times every event.
//
// One thread, epoll, one connection per stream. It keeps CONC streams open until TOTAL have run,
// the first CONC started evenly over RAMP_MS (so they overlap, as real users' streams do), each
// POSTing BODY to PATH and reading the answer to "data: [DONE]". Times are taken when the read
// that completes an event returns.
//
//   stream_client PORT PATH BODY KEY CONC TOTAL RAMP_MS STALL_MS TIMEOUT_S
//
// Prints one JSON object: streams started/completed/failed, streams that stalled (a gap between
// two events above STALL_MS, or no [DONE] within TIMEOUT_S), the most streams open at once,
// time to first token (the first event whose delta carries text) from the request's last byte
// (ms: p50/p99/max), gaps between consecutive
// events before [DONE] (ms: p50/p99/p999/max), and this client's own CPU seconds (to show it is
// not what stalls).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum phase { CONNECTING, HEAD, BODY_CHUNK_SIZE, BODY_CHUNK_DATA, BODY_CHUNK_CRLF, BODY_PLAIN, DONE };

struct stream {
    int fd;
    enum phase phase;
    int64_t sent_ns, last_event_ns, started_ns;
    char head[4096];
    size_t head_len;
    size_t chunk_left;
    int line_len, event_has_data, events, stalled, saw_done, ok_status;
    char event[1024];  // the current event's first bytes: is it [DONE], does it carry a token?
    int event_len, saw_token;
};

struct samples {
    uint32_t *v;  // microseconds
    size_t n, cap;
};

static struct samples ttft, gaps;
static char request[8192];
static size_t request_len;
static struct sockaddr_in target;
static int epfd;
static int64_t stall_ns;
static long started, completed, failed, stalled, open_now, open_max;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void add(struct samples *s, int64_t ns) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 65536;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) exit(1);
    }
    int64_t us = ns / 1000;
    s->v[s->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double pct(struct samples *s, double p) {
    if (s->n == 0) return -1;
    size_t i = (size_t)(p / 100.0 * (double)(s->n - 1) + 0.5);
    return s->v[i] / 1000.0;
}

static void finish(struct stream *st, int success) {
    if (st->phase != CONNECTING || st->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, st->fd, NULL);
        close(st->fd);
    }
    if (st->phase != CONNECTING) open_now--;
    if (success) {
        completed++;
    } else {
        failed++;
    }
    if (!success || st->stalled) stalled++;
    free(st);
}

// Whether an event carries text: "content":" followed by anything but the closing quote.
static int has_token(const char *event, int len) {
    const char *p = memmem(event, (size_t)len, "\"content\":\"", 11);
    return p && p + 11 < event + len && p[11] != '"';
}

// Feeds de-chunked body bytes; returns 1 once "data: [DONE]" has ended.
static int feed_events(struct stream *st, const char *p, size_t n, int64_t now) {
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '\r') continue;
        if (ch != '\n') {
            if (st->event_len < (int)sizeof st->event) st->event[st->event_len++] = ch;
            st->line_len++;
            st->event_has_data = 1;
            continue;
        }
        if (st->line_len > 0) {  // end of a line inside an event
            st->line_len = 0;
            continue;
        }
        if (!st->event_has_data) continue;
        // A blank line: the event is complete.
        int done = st->event_len >= 12 && memcmp(st->event, "data: [DONE]", 12) == 0;
        int64_t gap = now - (st->events ? st->last_event_ns : st->sent_ns);
        if (st->events > 0 && !done) add(&gaps, gap);
        if (!st->saw_token && has_token(st->event, st->event_len)) {
            st->saw_token = 1;
            add(&ttft, now - st->sent_ns);
        }
        if (st->events > 0 && gap > stall_ns) st->stalled = 1;
        st->events++;
        st->last_event_ns = now;
        st->event_has_data = 0;
        st->event_len = 0;
        if (done) {
            st->saw_done = 1;
            return 1;
        }
    }
    return 0;
}

// Returns 1 when the stream is over (either way), 0 to keep reading.
static int on_body(struct stream *st, const char *p, size_t n, int64_t now) {
    while (n > 0) {
        switch (st->phase) {
        case BODY_PLAIN:
            return feed_events(st, p, n, now);
        case BODY_CHUNK_SIZE: {
            // Hex digits up to CRLF; extensions ignored.
            char ch = *p++;
            n--;
            if (ch == '\n') {
                if (st->chunk_left == 0) return 1;  // last chunk: the body ended
                st->phase = BODY_CHUNK_DATA;
            } else if (ch >= '0' && ch <= '9') {
                st->chunk_left = st->chunk_left * 16 + (size_t)(ch - '0');
            } else if ((ch | 32) >= 'a' && (ch | 32) <= 'f') {
                st->chunk_left = st->chunk_left * 16 + (size_t)((ch | 32) - 'a' + 10);
            }
            break;
        }
        case BODY_CHUNK_DATA: {
            size_t take = n < st->chunk_left ? n : st->chunk_left;
            if (feed_events(st, p, take, now)) return 1;
            p += take;
            n -= take;
            st->chunk_left -= take;
            if (st->chunk_left == 0) st->phase = BODY_CHUNK_CRLF;
            break;
        }
        case BODY_CHUNK_CRLF:
            if (*p == '\n') st->phase = BODY_CHUNK_SIZE;
            p++;
            n--;
            break;
        default:
            return 1;
        }
    }
    return 0;
}

// Parses the response head once complete; returns its length (0 while incomplete).
static size_t on_head(struct stream *st) {
    char *end = memmem(st->head, st->head_len, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t head_len = (size_t)(end - st->head) + 4;
    st->ok_status = st->head_len > 12 && strncmp(st->head + 9, "200", 3) == 0;
    *end = 0;
    int chunked = 0;
    for (char *h = st->head; *h; h++) {
        if (strncasecmp(h, "\ntransfer-encoding:", 19) == 0 && strcasestr(h, "chunked")) chunked = 1;
    }
    st->phase = chunked ? BODY_CHUNK_SIZE : BODY_PLAIN;
    st->chunk_left = 0;
    return head_len;
}

static void start_stream(void) {
    struct stream *st = calloc(1, sizeof *st);
    st->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(st->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    st->phase = CONNECTING;
    st->started_ns = now_ns();
    started++;
    if (connect(st->fd, (struct sockaddr *)&target, sizeof target) < 0 && errno != EINPROGRESS) {
        close(st->fd);
        st->fd = -1;
        failed++;
        stalled++;
        free(st);
        return;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = st};
    epoll_ctl(epfd, EPOLL_CTL_ADD, st->fd, &ev);
}

static void on_event(struct stream *st, uint32_t events) {
    int64_t now = now_ns();
    if (st->phase == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        // The request is small: one write goes whole into an empty socket buffer.
        if (err || write(st->fd, request, request_len) != (ssize_t)request_len) {
            epoll_ctl(epfd, EPOLL_CTL_DEL, st->fd, NULL);
            close(st->fd);
            failed++;
            stalled++;
            free(st);
            return;
        }
        st->sent_ns = now_ns();
        st->phase = HEAD;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = st};
        epoll_ctl(epfd, EPOLL_CTL_MOD, st->fd, &ev);
        open_now++;  // open from the request on
        if (open_now > open_max) open_max = open_now;
        return;
    }
    (void)events;
    char buf[16384];
    for (;;) {
        ssize_t n = read(st->fd, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            finish(st, st->phase != HEAD && st->ok_status && st->saw_done);
            return;
        }
        if (st->phase == HEAD) {
            size_t room = sizeof st->head - st->head_len, take = (size_t)n < room ? (size_t)n : room;
            memcpy(st->head + st->head_len, buf, take);
            st->head_len += take;
            size_t head_len = on_head(st);
            if (head_len == 0) {
                if (st->head_len == sizeof st->head) {
                    finish(st, 0);
                    return;
                }
                continue;
            }
            // Body bytes: what followed the head in the head buffer, then what did not fit in it.
            if ((on_body(st, st->head + head_len, st->head_len - head_len, now) ||
                 on_body(st, buf + take, (size_t)n - take, now))) {
                finish(st, st->ok_status && st->saw_done);
                return;
            }
            continue;
        }
        if (on_body(st, buf, (size_t)n, now)) {
            finish(st, st->ok_status && st->saw_done);
            return;
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 10) {
        fprintf(stderr, "usage: %s PORT PATH BODY KEY CONC TOTAL RAMP_MS STALL_MS TIMEOUT_S\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    const char *path = argv[2], *body = argv[3], *key = argv[4];
    long conc = atol(argv[5]), total = atol(argv[6]);
    int64_t ramp_ns = atoll(argv[7]) * 1000000;
    stall_ns = atoll(argv[8]) * 1000000;
    int64_t timeout_ns = atoll(argv[9]) * 1000000000LL;
    signal(SIGPIPE, SIG_IGN);
    request_len = (size_t)snprintf(request, sizeof request,
                                   "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
                                   "Content-Type: application/json\r\nAccept: text/event-stream\r\n"
                                   "Content-Length: %zu\r\n\r\n%s",
                                   path, port, key, strlen(body), body);
    target = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &target.sin_addr);
    epfd = epoll_create1(0);

    int64_t t0 = now_ns(), deadline = t0 + timeout_ns;
    long initial = conc < total ? conc : total;
    struct epoll_event events[1024];
    while (now_ns() < deadline) {
        int64_t now = now_ns();
        // Initial streams are spread over the ramp; after it, a finished stream is replaced.
        while (started < initial && (ramp_ns == 0 || now - t0 >= ramp_ns * started / initial)) start_stream();
        while (started >= initial && started < total && started - completed - failed < conc) start_stream();
        if (completed + failed >= total) break;
        int timeout = started < initial ? 1 : 100;
        int n = epoll_wait(epfd, events, 1024, timeout);
        for (int i = 0; i < n; i++) on_event(events[i].data.ptr, events[i].events);
    }
    long unfinished = started - completed - failed;
    stalled += unfinished + (total - started);
    failed += unfinished + (total - started);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 ru.ru_stime.tv_usec / 1e6;
    qsort(ttft.v, ttft.n, sizeof *ttft.v, cmp_u32);
    qsort(gaps.v, gaps.n, sizeof *gaps.v, cmp_u32);
    printf("{\"streams\":%ld,\"completed\":%ld,\"failed\":%ld,\"stalled\":%ld,\"open_max\":%ld,"
           "\"ttft_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
           "\"gap_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},\"gaps\":%zu,"
           "\"wall_s\":%.3f,\"client_cpu_s\":%.3f}\n",
           total, completed, failed, stalled, open_max, pct(&ttft, 50), pct(&ttft, 99), pct(&ttft, 100),
           pct(&gaps, 50), pct(&gaps, 99), pct(&gaps, 99.9), pct(&gaps, 100), gaps.n, (now_ns() - t0) / 1e9, cpu);
    return 0;
}
