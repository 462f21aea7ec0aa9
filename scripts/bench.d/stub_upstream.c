// A vLLM-shaped upstream for scripts/bench, fast enough never to be what limits a gateway.
//
// One thread, epoll, HTTP/1.1 keep-alive. Python cannot feed thousands of paced streams on two
// cores; this can, and scripts/bench measures its own rate to prove it.
//
//   stub_upstream PORT DELAY_MS CHUNKS GAP_MS [TEXT]
//
// POST .../chat/completions without "stream": true answers one chat.completion after DELAY_MS.
// With "stream": true it answers at once with an SSE stream of CHUNKS chat.completion.chunk
// events GAP_MS apart (role first, content tokens, the finish chunk last), then the usage chunk
// when "stream_options": {"include_usage": true}, then "data: [DONE]", written the way vLLM
// (uvicorn) writes them: compact JSON, one event per HTTP chunk. GET /health answers 200.
// Each answer echoes the request's "model", as vLLM does. A non-streamed answer's text is
// "Hello! How can I help you today?" (10 tokens), or TEXT (plain ASCII without quotes or
// backslashes, at most 1,024 bytes; its bytes / 4 tokens) to measure answers of another size.
//
// POST /v1/messages answers in Anthropic's Messages shape, as llama.cpp's llama-server does: the
// same text as one "message" (stop_reason end_turn), or, streamed, with the chat stream's pacing:
// message_start and content_block_start at once, one content_block_delta a gap (CHUNKS - 2 of
// them, the chat stream's content chunks), then content_block_stop, message_delta (the usage)
// and message_stop where the chat stream sends its finish chunk, each "event: <type>\ndata:
// <json>\n\n" in an HTTP chunk of its own.
//
// POST /v1/responses without "stream": true answers in OpenAI's Responses shape, as llama-server
// does: a "response" object holding one "message" output item with the same text, its keys in
// llama-server's order, "resp_" and "msg_" ids of 32 letters and digits that differ in every
// answer (a gateway that stores responses by id keeps each one), the usage as input_tokens,
// output_tokens, total_tokens and input_tokens_details. A streamed request there gets the chat
// stream: scripts/bench measures non-streamed Responses only.
//
// Every paced connection waits in one of two FIFO queues (all delays are equal, so arrival
// order is deadline order): no timer heap, no per-event allocation.
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_FDS = 65536, IN_CAP = 65536, QUEUE_CAP = 1 << 17, MODEL_CAP = 128, TEXT_CAP = 1024 };
enum state { READING, DELAYING, STREAMING };

struct conn {
    int open;
    uint32_t generation;  // bumped on close, so stale queue entries are skipped
    enum state state;
    char in[IN_CAP];
    size_t in_len;
    char *out;  // bytes the socket did not take yet
    size_t out_len, out_cap;
    int events_sent, include_usage;
    int messages;   // the request was POST /v1/messages: answer in Anthropic's shape
    int responses;  // the request was POST /v1/responses: answer in OpenAI's Responses shape
    char model[MODEL_CAP];
    size_t request_len;  // bytes of the request being answered, dropped from `in` when done
};

struct entry {
    int fd;
    uint32_t generation;
    int64_t due_ns;
};

struct queue {
    struct entry items[QUEUE_CAP];
    size_t head, count;
};

static struct conn *conns[MAX_FDS];
static struct queue delayed, streaming;
static int epfd, chunks = 64;
static int64_t delay_ns, gap_ns;
static const char *CREATED = "1732579200";
static const char *text = "Hello! How can I help you today?";  // a non-streamed answer's text
static int text_tokens = 10;
static uint64_t answers;  // Responses answered so far: what makes each one's ids differ

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void push(struct queue *q, int fd, int64_t due) {
    if (q->count == QUEUE_CAP) {
        fprintf(stderr, "stub: queue full\n");
        exit(1);
    }
    q->items[(q->head + q->count++) % QUEUE_CAP] = (struct entry){fd, conns[fd]->generation, due};
}

static void close_conn(int fd) {
    struct conn *c = conns[fd];
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    c->open = 0;
    c->generation++;
    c->in_len = c->out_len = 0;
}

// Sends what it can now; keeps the rest for EPOLLOUT. Returns -1 when the peer is gone.
static int send_bytes(int fd, const char *data, size_t len) {
    struct conn *c = conns[fd];
    if (c->out_len == 0) {
        while (len > 0) {
            ssize_t n = write(fd, data, len);
            if (n > 0) {
                data += n;
                len -= (size_t)n;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                return -1;
            }
        }
        if (len == 0) return 0;
    }
    if (c->out_len + len > c->out_cap) {
        c->out_cap = (c->out_len + len) * 2;
        c->out = realloc(c->out, c->out_cap);
        if (!c->out) exit(1);
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd};
    epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
    return 0;
}

static int flush_out(int fd) {
    struct conn *c = conns[fd];
    size_t sent = 0;
    while (sent < c->out_len) {
        ssize_t n = write(fd, c->out + sent, c->out_len - sent);
        if (n > 0) {
            sent += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return -1;
        }
    }
    memmove(c->out, c->out + sent, c->out_len - sent);
    c->out_len -= sent;
    if (c->out_len == 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
    }
    return 0;
}

// The value after "name" and a colon in a JSON body, whitespace skipped (NULL if absent).
static const char *json_value(const char *body, size_t len, const char *name) {
    size_t name_len = strlen(name);
    const char *end = body + len;
    for (const char *p = memmem(body, len, name, name_len); p; p = memmem(p + 1, (size_t)(end - p - 1), name, name_len)) {
        const char *v = p + name_len;
        while (v < end && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')) v++;
        if (v >= end || *v != ':') continue;
        v++;
        while (v < end && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')) v++;
        return v < end ? v : NULL;
    }
    return NULL;
}

static int json_true(const char *body, size_t len, const char *name) {
    const char *v = json_value(body, len, name);
    return v && (size_t)(body + len - v) >= 4 && memcmp(v, "true", 4) == 0;
}

static void json_model(const char *body, size_t len, char *model) {
    const char *v = json_value(body, len, "\"model\"");
    strcpy(model, "unknown");
    if (!v || *v != '"') return;
    const char *end = memchr(v + 1, '"', (size_t)(body + len - v - 1));
    if (!end || end - v - 1 >= MODEL_CAP) return;
    memcpy(model, v + 1, (size_t)(end - v - 1));
    model[end - v - 1] = 0;
}

// One SSE event as one HTTP chunk: "<hex>\r\ndata: {...}\n\n\r\n".
static int send_event(int fd, const char *payload, int payload_len) {
    char buf[1024];
    int body_len = payload_len + 8;  // "data: " + "\n\n"
    int n = snprintf(buf, sizeof buf, "%x\r\ndata: %.*s\n\n\r\n", body_len, payload_len, payload);
    return send_bytes(fd, buf, (size_t)n);
}

// One named SSE event as one HTTP chunk: "<hex>\r\nevent: <type>\ndata: {...}\n\n\r\n".
static int send_named_event(int fd, const char *type, const char *payload, int payload_len) {
    char buf[1024];
    int body_len = (int)strlen(type) + payload_len + 16;  // "event: " + "\n" + "data: " + "\n\n"
    int n = snprintf(buf, sizeof buf, "%x\r\nevent: %s\ndata: %.*s\n\n\r\n", body_len, type, payload_len, payload);
    return send_bytes(fd, buf, (size_t)n);
}

// The Messages stream's event number events_sent (see the top of the file for the pacing).
static int send_messages_event(int fd) {
    struct conn *c = conns[fd];
    char payload[768];
    int i = c->events_sent, n;
    if (i == 0) {
        n = snprintf(payload, sizeof payload,
                     "{\"type\":\"message_start\",\"message\":{\"id\":\"chatcmpl-bench\",\"type\":\"message\","
                     "\"role\":\"assistant\",\"content\":[],\"model\":\"%s\",\"stop_reason\":null,"
                     "\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":0}}}",
                     c->model);
        if (send_named_event(fd, "message_start", payload, n) < 0) return -1;
        n = snprintf(payload, sizeof payload,
                     "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
        if (send_named_event(fd, "content_block_start", payload, n) < 0) return -1;
    } else if (i < chunks - 1) {
        n = snprintf(payload, sizeof payload,
                     "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                     "\"text\":\" tok%d\"}}",
                     i);
        if (send_named_event(fd, "content_block_delta", payload, n) < 0) return -1;
    } else {
        n = snprintf(payload, sizeof payload, "{\"type\":\"content_block_stop\",\"index\":0}");
        if (send_named_event(fd, "content_block_stop", payload, n) < 0) return -1;
        n = snprintf(payload, sizeof payload,
                     "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                     "\"usage\":{\"output_tokens\":%d}}",
                     chunks > 2 ? chunks - 2 : 0);
        if (send_named_event(fd, "message_delta", payload, n) < 0) return -1;
        n = snprintf(payload, sizeof payload, "{\"type\":\"message_stop\"}");
        if (send_named_event(fd, "message_stop", payload, n) < 0) return -1;
    }
    c->events_sent++;
    if (c->events_sent < chunks) return 1;  // more to come
    if (send_bytes(fd, "0\r\n\r\n", 5) < 0) return -1;
    return 0;
}

static int send_stream_event(int fd) {
    struct conn *c = conns[fd];
    if (c->messages) return send_messages_event(fd);
    char payload[768];
    int i = c->events_sent, n;
    const char *head = "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":";
    if (i == 0) {
        n = snprintf(payload, sizeof payload,
                     "%s%s,\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                     "\"logprobs\":null,\"finish_reason\":null}]}",
                     head, CREATED, c->model);
    } else if (i < chunks - 1) {
        n = snprintf(payload, sizeof payload,
                     "%s%s,\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok%d\"},"
                     "\"logprobs\":null,\"finish_reason\":null}]}",
                     head, CREATED, c->model, i);
    } else {
        n = snprintf(payload, sizeof payload,
                     "%s%s,\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},"
                     "\"logprobs\":null,\"finish_reason\":\"stop\",\"stop_reason\":null}]}",
                     head, CREATED, c->model);
    }
    if (send_event(fd, payload, n) < 0) return -1;
    c->events_sent++;
    if (c->events_sent < chunks) return 1;  // more to come
    if (c->include_usage) {
        int tokens = chunks > 2 ? chunks - 2 : 0;
        n = snprintf(payload, sizeof payload,
                     "%s%s,\"model\":\"%s\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"total_tokens\":%d,"
                     "\"completion_tokens\":%d}}",
                     head, CREATED, c->model, 12 + tokens, tokens);
        if (send_event(fd, payload, n) < 0) return -1;
    }
    if (send_event(fd, "[DONE]", 6) < 0) return -1;
    if (send_bytes(fd, "0\r\n\r\n", 5) < 0) return -1;
    return 0;
}

// 32 letters and digits, different for every n, shaped like llama-server's random ids: the
// first 11 characters are a bijection of n (a splitmix64 step), the rest filler from another.
static void make_id(uint64_t n, char *out) {
    static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t x = n;
    for (int part = 0; part < 3; part++) {
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        for (int i = 0; i < 11 && part * 11 + i < 32; i++) {
            out[part * 11 + i] = ALPHABET[z % 62];
            z /= 62;
        }
    }
    out[32] = 0;
}

static void finish_request(int fd);
static void handle_input(int fd);

static void send_completion(int fd) {
    struct conn *c = conns[fd];
    char body[2048], buf[2304];
    int body_len;
    if (c->messages) {
        body_len = snprintf(body, sizeof body,
                            "{\"id\":\"chatcmpl-bench\",\"type\":\"message\",\"role\":\"assistant\",\"content\":"
                            "[{\"type\":\"text\",\"text\":\"%s\"}],\"model\":\"%s\","
                            "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,"
                            "\"output_tokens\":%d}}",
                            text, c->model, text_tokens);
    } else if (c->responses) {
        char response_id[33], message_id[33];
        make_id(2 * answers, response_id);
        make_id(2 * answers + 1, message_id);
        answers++;
        body_len = snprintf(body, sizeof body,
                            "{\"completed_at\":%s,\"created_at\":%s,\"id\":\"resp_%s\",\"model\":\"%s\","
                            "\"object\":\"response\",\"output\":[{\"content\":[{\"type\":\"output_text\","
                            "\"annotations\":[],\"logprobs\":[],\"text\":\"%s\"}],\"id\":\"msg_%s\",\"role\":"
                            "\"assistant\",\"status\":\"completed\",\"type\":\"message\"}],\"status\":\"completed\","
                            "\"usage\":{\"input_tokens\":12,\"output_tokens\":%d,\"total_tokens\":%d,"
                            "\"input_tokens_details\":{\"cached_tokens\":0}}}",
                            CREATED, CREATED, response_id, c->model, text, message_id, text_tokens, 12 + text_tokens);
    } else {
        body_len = snprintf(body, sizeof body,
                            "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":%s,\"model\":\"%s\","
                            "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"%s\","
                            "\"tool_calls\":[]},\"logprobs\":null,\"finish_reason\":\"stop\","
                            "\"stop_reason\":null}],\"usage\":{\"prompt_tokens\":12,\"total_tokens\":%d,"
                            "\"completion_tokens\":%d}}",
                            CREATED, c->model, text, 12 + text_tokens, text_tokens);
    }
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.1 200 OK\r\nserver: uvicorn\r\ncontent-type: application/json\r\ncontent-length: "
                     "%d\r\n\r\n%s",
                     body_len, body);
    if (send_bytes(fd, buf, (size_t)n) < 0) {
        close_conn(fd);
        return;
    }
    finish_request(fd);
}

static void finish_request(int fd) {
    struct conn *c = conns[fd];
    memmove(c->in, c->in + c->request_len, c->in_len - c->request_len);
    c->in_len -= c->request_len;
    c->request_len = 0;
    c->state = READING;
    if (c->in_len > 0) handle_input(fd);  // a pipelined request
}

// The body of a chunked request, de-chunked in place; -1 while incomplete.
static long dechunk(char *p, size_t avail, size_t *consumed) {
    size_t r = 0, w = 0;
    for (;;) {
        char *eol = memmem(p + r, avail - r, "\r\n", 2);
        if (!eol) return -1;
        size_t size = strtoul(p + r, NULL, 16);
        r = (size_t)(eol - p) + 2;
        if (size == 0) {
            char *end = memmem(p + r, avail - r, "\r\n", 2);  // no trailers expected
            if (!end) return -1;
            *consumed = (size_t)(end - p) + 2;
            return (long)w;
        }
        if (avail - r < size + 2) return -1;
        memmove(p + w, p + r, size);
        w += size;
        r += size + 2;
    }
}

static void handle_input(int fd) {
    struct conn *c = conns[fd];
    if (c->state != READING) return;
    char *head_end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!head_end) {
        if (c->in_len == IN_CAP) close_conn(fd);
        return;
    }
    size_t head_len = (size_t)(head_end - c->in) + 4;
    char *body = c->in + head_len;
    size_t avail = c->in_len - head_len, body_len = 0, consumed = 0;
    int chunked = 0;
    size_t content_length = 0;
    for (char *line = memmem(c->in, head_len, "\r\n", 2); line && line < head_end; line = memmem(line + 2, (size_t)(head_end - line), "\r\n", 2)) {
        char *h = line + 2;
        if (strncasecmp(h, "content-length:", 15) == 0) content_length = strtoul(h + 15, NULL, 10);
        if (strncasecmp(h, "transfer-encoding:", 18) == 0 && memmem(h, 40, "chunked", 7)) chunked = 1;
    }
    if (chunked) {
        // De-chunk into a copy so an incomplete body stays parseable when more bytes arrive.
        static char scratch[IN_CAP];
        memcpy(scratch, body, avail);
        long n = dechunk(scratch, avail, &consumed);
        if (n < 0) return;
        memcpy(body, scratch, (size_t)n);
        body_len = (size_t)n;
    } else {
        if (avail < content_length) {
            if (c->in_len == IN_CAP) close_conn(fd);
            return;
        }
        body_len = consumed = content_length;
    }
    c->request_len = head_len + consumed;
    if (strncmp(c->in, "GET ", 4) == 0) {
        const char *ok = "HTTP/1.1 200 OK\r\nserver: uvicorn\r\ncontent-length: 0\r\n\r\n";
        if (send_bytes(fd, ok, strlen(ok)) < 0) {
            close_conn(fd);
            return;
        }
        finish_request(fd);
        return;
    }
    json_model(body, body_len, c->model);
    c->messages = strncmp(c->in, "POST /v1/messages", 17) == 0 && (c->in[17] == ' ' || c->in[17] == '?');
    c->responses = strncmp(c->in, "POST /v1/responses", 18) == 0 && (c->in[18] == ' ' || c->in[18] == '?');
    if (json_true(body, body_len, "\"stream\"")) {
        c->include_usage = json_true(body, body_len, "\"include_usage\"");
        c->events_sent = 0;
        c->state = STREAMING;
        const char *head =
            "HTTP/1.1 200 OK\r\nserver: uvicorn\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
            "transfer-encoding: chunked\r\n\r\n";
        if (send_bytes(fd, head, strlen(head)) < 0 || send_stream_event(fd) < 0) {
            close_conn(fd);
            return;
        }
        push(&streaming, fd, now_ns() + gap_ns);
    } else if (delay_ns > 0) {
        c->state = DELAYING;
        push(&delayed, fd, now_ns() + delay_ns);
    } else {
        send_completion(fd);
    }
}

static void on_readable(int fd) {
    struct conn *c = conns[fd];
    for (;;) {
        if (c->in_len == IN_CAP) {
            if (c->state == READING) close_conn(fd);
            return;  // a paced answer is pending: read the rest after it
        }
        ssize_t n = read(fd, c->in + c->in_len, IN_CAP - c->in_len);
        if (n > 0) {
            c->in_len += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            close_conn(fd);
            return;
        }
    }
    handle_input(fd);
}

// Runs what is due; returns the epoll timeout in ms until the next deadline (-1: none).
static int run_due(void) {
    int64_t now = now_ns(), next = -1;
    struct queue *queues[2] = {&delayed, &streaming};
    for (int k = 0; k < 2; k++) {
        struct queue *q = queues[k];
        // Entries pushed while this loop runs are due a whole delay later: stop at them.
        size_t budget = q->count;
        while (budget-- > 0) {
            struct entry e = q->items[q->head];
            if (e.due_ns > now) break;
            q->head = (q->head + 1) % QUEUE_CAP;
            q->count--;
            struct conn *c = conns[e.fd];
            if (!c || !c->open || c->generation != e.generation) continue;
            if (q == &delayed) {
                send_completion(e.fd);
            } else {
                int more = send_stream_event(e.fd);
                if (more < 0) {
                    close_conn(e.fd);
                } else if (more > 0) {
                    push(&streaming, e.fd, e.due_ns + gap_ns);  // pace from the schedule, not from now
                } else {
                    finish_request(e.fd);
                }
            }
        }
        if (q->count > 0) {
            int64_t due = q->items[q->head].due_ns;
            if (next < 0 || due < next) next = due;
        }
    }
    if (next < 0) return -1;
    if (next <= now) return 0;  // running late: no sleep at all
    return (int)((next - now + 999999) / 1000000);
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s PORT DELAY_MS CHUNKS GAP_MS [TEXT]\n", argv[0]);
        return 2;
    }
    if (argc == 6) {
        text = argv[5];
        size_t len = strlen(text);
        if (len == 0 || len > TEXT_CAP || strpbrk(text, "\"\\\n\r\t")) {
            fprintf(stderr, "stub: TEXT must be 1 to %d bytes without quotes, backslashes or control characters\n",
                    TEXT_CAP);
            return 2;
        }
        text_tokens = (int)((len + 3) / 4);
    }
    int port = atoi(argv[1]);
    delay_ns = atoll(argv[2]) * 1000000;
    chunks = atoi(argv[3]);
    gap_ns = atoll(argv[4]) * 1000000;
    if (chunks < 2) chunks = 2;
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
        perror("stub: bind/listen");
        return 1;
    }
    epfd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event events[512];
    int timeout = -1;
    for (;;) {
        int n = epoll_wait(epfd, events, 512, timeout);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                int cfd;
                while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (cfd >= MAX_FDS) {
                        close(cfd);
                        continue;
                    }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    if (!conns[cfd]) conns[cfd] = calloc(1, sizeof(struct conn));
                    struct conn *c = conns[cfd];
                    c->open = 1;
                    c->state = READING;
                    c->in_len = c->out_len = 0;
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
                    epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &cev);
                }
                continue;
            }
            struct conn *c = conns[fd];
            if (!c || !c->open) continue;
            if ((events[i].events & EPOLLOUT) && flush_out(fd) < 0) {
                close_conn(fd);
                continue;
            }
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(fd);
        }
        timeout = run_due();
    }
}
