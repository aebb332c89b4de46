/*
 * rxkafka mock-cluster host: runs one librdkafka mock cluster and lets a
 * parent process steer it over a line protocol on stdin/stdout.
 *
 * Usage: mock-cluster <broker-count> [--port BASE] [--log-groups]
 *
 *   --port BASE    broker i (1..N) listens on 127.0.0.1:BASE+i-1 instead of a
 *                  port the kernel picks
 *   --log-groups   writes what the consumer groups do (state changes,
 *                  rebalances, members leaving or timing out) to stderr, one
 *                  line each, prefixed "group "
 *
 * On start it prints one line:
 *   ready {"bootstrap":"127.0.0.1:p1,...","brokers":[{"id":1,"host":"127.0.0.1","port":p1},...]}
 * (or "fatal <message>" and exits 1).
 *
 * Then every input line is "<id> <command> [args...]" (arguments separated by
 * single spaces, string arguments percent-encoded so they never contain a
 * space or newline) and gets exactly one answer line:
 *   ok <id> [json]
 *   err <id> <ERROR_NAME> <human readable message>
 * The parent matches answers to commands by id, so nothing is fire-and-forget.
 *
 * The process must never outlive its parent: PR_SET_PDEATHSIG covers a parent
 * that crashes, EOF on stdin covers a parent that merely closes the pipe. It
 * ignores SIGINT: a Ctrl-C in a terminal reaches the whole process group, and
 * the parent must be the one to stop it (after saying so), not the keyboard.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <unistd.h>

#include "rdkafka.h"
#include "rdkafka_mock.h"

#define MAX_ARGS 512

static rd_kafka_t *rk;
static rd_kafka_mock_cluster_t *mcluster;
static int broker_count;
static int base_port;         /* 0: the kernel picks the ports */
static int listeners_bound;   /* listeners given a port from base_port so far */
static int log_groups;

/*
 * librdkafka's mock brokers bind their listeners to port 0 (the kernel picks)
 * and its API has no way to choose the port. For --port, this program defines
 * bind() itself: a definition in the executable takes precedence over libc's
 * for the shared librdkafka too (ELF symbol interposition). It gives the n-th
 * IPv4 listener that asks for port 0 the port base_port + n; brokers are
 * created in id order, so broker i gets base_port + i - 1. Every other bind
 * goes to the kernel unchanged (the syscall, not libc's bind, which this
 * definition hides).
 */
int bind(int fd, const struct sockaddr *addr, socklen_t len) {
        if (base_port > 0 && addr && addr->sa_family == AF_INET &&
            len >= (socklen_t)sizeof(struct sockaddr_in) &&
            ((const struct sockaddr_in *)addr)->sin_port == 0) {
                struct sockaddr_in fixed = *(const struct sockaddr_in *)addr;
                int port                 = base_port + listeners_bound++;
                long r;
                fixed.sin_port = htons((uint16_t)port);
                r = syscall(SYS_bind, fd, (const struct sockaddr *)&fixed,
                            (socklen_t)sizeof(fixed));
                if (r != 0)
                        fprintf(stderr, "cannot listen on port %d: %s\n", port,
                                strerror(errno));
                return (int)r;
        }
        return (int)syscall(SYS_bind, fd, addr, len);
}

/* Lines about what groups do; per-heartbeat and per-commit lines are left out. */
static int is_group_line(const char *line) {
        if (strstr(line, "Marking mock consumer group member"))
                return 0;
        return strstr(line, "consumer group") != NULL ||
               strstr(line, "session timed out for group") != NULL ||
               strstr(line, "is leaving group") != NULL;
}

/* librdkafka's log: group lines when asked for, and its warnings and errors as before. */
static void log_cb(const rd_kafka_t *handle, int level, const char *fac,
                   const char *buf) {
        (void)handle;
        if (level >= 7) { /* debug: only the mock's group lines, and only with --log-groups */
                if (log_groups && is_group_line(buf)) {
                        /* librdkafka starts each line with the thread, "[thrd:mock]: ". */
                        const char *text = strstr(buf, "]: ");
                        fprintf(stderr, "group %s\n", text ? text + 3 : buf);
                }
                return;
        }
        fprintf(stderr, "%%%d|%s| %s\n", level, fac, buf);
}

/* Answers must reach the parent whole and at once, even when it reads a pipe. */
static void answer_ok(const char *id, const char *json) {
        if (json)
                printf("ok %s %s\n", id, json);
        else
                printf("ok %s\n", id);
        fflush(stdout);
}

static void answer_err(const char *id, const char *name, const char *fmt, ...) {
        va_list ap;
        printf("err %s %s ", id, name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
}

static void answer_kafka_err(const char *id, rd_kafka_resp_err_t err,
                             const char *what) {
        answer_err(id, rd_kafka_err2name(err), "%s: %s (error %d)", what,
                   rd_kafka_err2str(err), (int)err);
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Decodes %XX sequences in place; returns 0 on malformed input. */
static int percent_decode(char *s) {
        char *out = s;
        while (*s) {
                if (*s == '%') {
                        int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
                        if (hi < 0 || lo < 0)
                                return 0;
                        *out++ = (char)(hi * 16 + lo);
                        s += 3;
                } else {
                        *out++ = *s++;
                }
        }
        *out = '\0';
        return 1;
}

/* Strict integer parsing: a typo must become an error answer, not a 0. */
static int parse_long(const char *s, long long min, long long max,
                      long long *out) {
        char *end;
        long long v;
        if (!s || !*s)
                return 0;
        errno = 0;
        v     = strtoll(s, &end, 10);
        if (errno || *end || v < min || v > max)
                return 0;
        *out = v;
        return 1;
}

#define INT_ARG(var, idx, min, max, what)                                      \
        long long var;                                                         \
        if (!parse_long(argv[idx], (min), (max), &var)) {                      \
                answer_err(id, "INVALID_ARGUMENT",                             \
                           "%s: %s must be an integer in [%lld, %lld], got "   \
                           "'%s'",                                             \
                           cmd, what, (long long)(min), (long long)(max),      \
                           argv[idx]);                                         \
                return;                                                        \
        }

#define STR_ARG(var, idx, what)                                                \
        char *var = argv[idx];                                                 \
        if (!percent_decode(var)) {                                            \
                answer_err(id, "INVALID_ARGUMENT",                             \
                           "%s: %s is not valid percent-encoding", cmd, what); \
                return;                                                        \
        }

#define NEED_ARGS(n, usage)                                                    \
        if (argc != (n)) {                                                     \
                answer_err(id, "INVALID_ARGUMENT", "%s expects: %s", cmd,      \
                           usage);                                             \
                return;                                                        \
        }

#define DONE(err, what)                                                        \
        do {                                                                   \
                rd_kafka_resp_err_t _e = (err);                                \
                if (_e)                                                        \
                        answer_kafka_err(id, _e, what);                        \
                else                                                           \
                        answer_ok(id, NULL);                                   \
        } while (0)

/* Some mock calls assert or silently ignore an unknown broker id, so ids are
 * checked here to turn a typo into an answer instead of a crash or a no-op. */
static int broker_exists(long long broker_id) {
        return broker_id >= 1 && broker_id <= broker_count;
}

#define KNOWN_BROKER(var, what)                                                \
        if (!broker_exists(var)) {                                             \
                answer_err(id, "_UNKNOWN_BROKER",                              \
                           "%s: broker %lld does not exist (brokers are 1..%d)", \
                           what, var, broker_count);                           \
                return;                                                        \
        }

static void print_json_string(FILE *f, const char *s) {
        fputc('"', f);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", c);
                else if (c < 0x20)
                        fprintf(f, "\\u%04x", c);
                else
                        fputc(c, f);
        }
        fputc('"', f);
}

static void handle(const char *id, const char *cmd, int argc, char **argv) {
        if (!strcmp(cmd, "ping")) {
                answer_ok(id, NULL);

        } else if (!strcmp(cmd, "create_topic")) {
                NEED_ARGS(3, "<topic> <partitions> <replication-factor>");
                STR_ARG(topic, 0, "topic");
                INT_ARG(partitions, 1, 1, 100000, "partitions");
                INT_ARG(rf, 2, 1, broker_count, "replication factor");
                DONE(rd_kafka_mock_topic_create(mcluster, topic,
                                                (int)partitions, (int)rf),
                     "create topic");

        } else if (!strcmp(cmd, "broker_down") || !strcmp(cmd, "broker_up")) {
                NEED_ARGS(1, "<broker-id>");
                INT_ARG(broker, 0, INT32_MIN, INT32_MAX, "broker id");
                KNOWN_BROKER(broker, cmd);
                DONE(!strcmp(cmd, "broker_down")
                         ? rd_kafka_mock_broker_set_down(mcluster,
                                                         (int32_t)broker)
                         : rd_kafka_mock_broker_set_up(mcluster,
                                                       (int32_t)broker),
                     cmd);

        } else if (!strcmp(cmd, "set_rtt")) {
                NEED_ARGS(2, "<broker-id> <rtt-ms>");
                INT_ARG(broker, 0, INT32_MIN, INT32_MAX, "broker id");
                INT_ARG(rtt, 1, 0, INT_MAX, "rtt ms");
                if (broker != -1)
                        KNOWN_BROKER(broker, cmd);
                DONE(rd_kafka_mock_broker_set_rtt(mcluster, (int32_t)broker,
                                                  (int)rtt),
                     "set broker rtt");

        } else if (!strcmp(cmd, "set_rack")) {
                NEED_ARGS(2, "<broker-id> <rack>");
                INT_ARG(broker, 0, INT32_MIN, INT32_MAX, "broker id");
                STR_ARG(rack, 1, "rack");
                if (broker != -1)
                        KNOWN_BROKER(broker, cmd);
                DONE(rd_kafka_mock_broker_set_rack(mcluster, (int32_t)broker,
                                                   rack),
                     "set broker rack");

        } else if (!strcmp(cmd, "set_leader")) {
                NEED_ARGS(3, "<topic> <partition> <broker-id|-1>");
                STR_ARG(topic, 0, "topic");
                INT_ARG(partition, 1, 0, INT32_MAX, "partition");
                INT_ARG(broker, 2, -1, INT32_MAX, "broker id");
                if (broker != -1)
                        KNOWN_BROKER(broker, cmd);
                DONE(rd_kafka_mock_partition_set_leader(
                         mcluster, topic, (int32_t)partition, (int32_t)broker),
                     "set partition leader");

        } else if (!strcmp(cmd, "set_follower")) {
                NEED_ARGS(3, "<topic> <partition> <broker-id>");
                STR_ARG(topic, 0, "topic");
                INT_ARG(partition, 1, 0, INT32_MAX, "partition");
                INT_ARG(broker, 2, INT32_MIN, INT32_MAX, "broker id");
                DONE(rd_kafka_mock_partition_set_follower(
                         mcluster, topic, (int32_t)partition, (int32_t)broker),
                     "set partition follower");

        } else if (!strcmp(cmd, "set_follower_wmarks")) {
                NEED_ARGS(4, "<topic> <partition> <low|-1> <high|-1>");
                STR_ARG(topic, 0, "topic");
                INT_ARG(partition, 1, 0, INT32_MAX, "partition");
                INT_ARG(lo, 2, -1, INT64_MAX, "low watermark");
                INT_ARG(hi, 3, -1, INT64_MAX, "high watermark");
                DONE(rd_kafka_mock_partition_set_follower_wmarks(
                         mcluster, topic, (int32_t)partition, lo, hi),
                     "set follower watermarks");

        } else if (!strcmp(cmd, "push_leader_response")) {
                NEED_ARGS(4, "<topic> <partition> <leader-id> <leader-epoch>");
                STR_ARG(topic, 0, "topic");
                INT_ARG(partition, 1, 0, INT32_MAX, "partition");
                INT_ARG(leader, 2, INT32_MIN, INT32_MAX, "leader id");
                INT_ARG(epoch, 3, INT32_MIN, INT32_MAX, "leader epoch");
                DONE(rd_kafka_mock_partition_push_leader_response(
                         mcluster, topic, (int)partition, (int32_t)leader,
                         (int32_t)epoch),
                     "push leader response");

        } else if (!strcmp(cmd, "topic_error")) {
                NEED_ARGS(2, "<topic> <error-code>");
                STR_ARG(topic, 0, "topic");
                INT_ARG(code, 1, INT16_MIN, INT16_MAX, "error code");
                rd_kafka_mock_topic_set_error(mcluster, topic,
                                              (rd_kafka_resp_err_t)code);
                answer_ok(id, NULL);

        } else if (!strcmp(cmd, "push_errors")) {
                rd_kafka_resp_err_t errs[MAX_ARGS];
                int i;
                if (argc < 2) {
                        answer_err(id, "INVALID_ARGUMENT",
                                   "%s expects: <api-key> <error-code>...",
                                   cmd);
                        return;
                }
                INT_ARG(api_key, 0, 0, INT16_MAX, "api key");
                for (i = 1; i < argc; i++) {
                        INT_ARG(code, i, INT16_MIN, INT16_MAX, "error code");
                        errs[i - 1] = (rd_kafka_resp_err_t)code;
                }
                rd_kafka_mock_push_request_errors_array(
                    mcluster, (int16_t)api_key, (size_t)(argc - 1), errs);
                answer_ok(id, NULL);

        } else if (!strcmp(cmd, "clear_errors")) {
                NEED_ARGS(1, "<api-key>");
                INT_ARG(api_key, 0, 0, INT16_MAX, "api key");
                rd_kafka_mock_clear_request_errors(mcluster, (int16_t)api_key);
                answer_ok(id, NULL);

        } else if (!strcmp(cmd, "push_broker_errors")) {
                int i;
                if (argc < 4 || argc % 2 != 0) {
                        answer_err(id, "INVALID_ARGUMENT",
                                   "%s expects: <broker-id> <api-key> "
                                   "(<error-code> <rtt-ms>)...",
                                   cmd);
                        return;
                }
                INT_ARG(broker, 0, INT32_MIN, INT32_MAX, "broker id");
                INT_ARG(api_key, 1, 0, INT16_MAX, "api key");
                KNOWN_BROKER(broker, cmd);
                /* The C API only has a va-arg form; pushing one tuple at a
                 * time appends in order, which is the same stack. */
                for (i = 2; i < argc; i += 2) {
                        INT_ARG(code, i, INT16_MIN, INT16_MAX, "error code");
                        INT_ARG(rtt, i + 1, 0, INT_MAX, "rtt ms");
                        rd_kafka_resp_err_t e =
                            rd_kafka_mock_broker_push_request_error_rtts(
                                mcluster, (int32_t)broker, (int16_t)api_key, 1,
                                (rd_kafka_resp_err_t)code, (int)rtt);
                        if (e) {
                                answer_kafka_err(id, e,
                                                 "push broker request errors");
                                return;
                        }
                }
                answer_ok(id, NULL);

        } else if (!strcmp(cmd, "broker_error_count")) {
                size_t cnt = 0;
                char buf[64];
                rd_kafka_resp_err_t e;
                NEED_ARGS(2, "<broker-id> <api-key>");
                INT_ARG(broker, 0, INT32_MIN, INT32_MAX, "broker id");
                INT_ARG(api_key, 1, 0, INT16_MAX, "api key");
                e = rd_kafka_mock_broker_error_stack_cnt(
                    mcluster, (int32_t)broker, (int16_t)api_key, &cnt);
                if (e) {
                        answer_kafka_err(id, e, "broker error stack count");
                        return;
                }
                snprintf(buf, sizeof(buf), "%zu", cnt);
                answer_ok(id, buf);

        } else if (!strcmp(cmd, "set_coordinator")) {
                NEED_ARGS(3, "<group|transaction> <key> <broker-id>");
                STR_ARG(type, 0, "coordinator type");
                STR_ARG(key, 1, "key");
                INT_ARG(broker, 2, INT32_MIN, INT32_MAX, "broker id");
                if (strcmp(type, "group") && strcmp(type, "transaction")) {
                        answer_err(id, "INVALID_ARGUMENT",
                                   "%s: type must be 'group' or "
                                   "'transaction', got '%s'",
                                   cmd, type);
                        return;
                }
                DONE(rd_kafka_mock_coordinator_set(mcluster, type, key,
                                                   (int32_t)broker),
                     "set coordinator");

        } else if (!strcmp(cmd, "set_apiversion")) {
                NEED_ARGS(3, "<api-key> <min-version|-1> <max-version|-1>");
                INT_ARG(api_key, 0, 0, INT16_MAX, "api key");
                INT_ARG(min, 1, -1, INT16_MAX, "min version");
                INT_ARG(max, 2, -1, INT16_MAX, "max version");
                DONE(rd_kafka_mock_set_apiversion(mcluster, (int16_t)api_key,
                                                  (int16_t)min, (int16_t)max),
                     "set api version");

        } else if (!strcmp(cmd, "group_initial_rebalance_delay")) {
                NEED_ARGS(1, "<delay-ms>");
                INT_ARG(ms, 0, 0, INT32_MAX, "delay ms");
                rd_kafka_mock_group_initial_rebalance_delay_ms(mcluster,
                                                               (int32_t)ms);
                answer_ok(id, NULL);

        } else if (!strcmp(cmd, "group_consumer_session_timeout")) {
                NEED_ARGS(1, "<timeout-ms>");
                INT_ARG(ms, 0, 1, INT_MAX, "timeout ms");
                rd_kafka_mock_set_group_consumer_session_timeout_ms(mcluster,
                                                                    (int)ms);
                answer_ok(id, NULL);

        } else if (!strcmp(cmd, "group_consumer_heartbeat_interval")) {
                NEED_ARGS(1, "<interval-ms>");
                INT_ARG(ms, 0, 1, INT_MAX, "interval ms");
                rd_kafka_mock_set_group_consumer_heartbeat_interval_ms(
                    mcluster, (int)ms);
                answer_ok(id, NULL);

        } else if (!strcmp(cmd, "track_start")) {
                rd_kafka_mock_start_request_tracking(mcluster);
                answer_ok(id, NULL);

        } else if (!strcmp(cmd, "track_stop")) {
                rd_kafka_mock_stop_request_tracking(mcluster);
                answer_ok(id, NULL);

        } else if (!strcmp(cmd, "clear_requests")) {
                rd_kafka_mock_clear_requests(mcluster);
                answer_ok(id, NULL);

        } else if (!strcmp(cmd, "requests")) {
                size_t cnt = 0, i;
                rd_kafka_mock_request_t **reqs =
                    rd_kafka_mock_get_requests(mcluster, &cnt);
                printf("ok %s [", id);
                for (i = 0; i < cnt; i++)
                        printf("%s{\"apiKey\":%d,\"brokerId\":%" PRId32
                               ",\"timestampUs\":%" PRId64 "}",
                               i ? "," : "",
                               (int)rd_kafka_mock_request_api_key(reqs[i]),
                               rd_kafka_mock_request_id(reqs[i]),
                               rd_kafka_mock_request_timestamp(reqs[i]));
                printf("]\n");
                fflush(stdout);
                if (reqs)
                        rd_kafka_mock_request_destroy_array(reqs, cnt);

        } else {
                answer_err(id, "UNKNOWN_COMMAND", "unknown command '%s'", cmd);
        }
}

static void print_ready(void) {
        const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mcluster);
        char *copy = strdup(bootstraps), *save = NULL, *tok;
        int id = 1;

        printf("ready {\"bootstrap\":");
        print_json_string(stdout, bootstraps);
        printf(",\"brokers\":[");
        /* The mock lists brokers in id order, 1..N, as "host:port". */
        for (tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save), id++) {
                char *colon = strrchr(tok, ':');
                if (!colon)
                        continue;
                *colon = '\0';
                printf("%s{\"id\":%d,\"host\":", id > 1 ? "," : "", id);
                print_json_string(stdout, tok);
                printf(",\"port\":%s}", colon + 1);
        }
        printf("]}\n");
        fflush(stdout);
        free(copy);
}

int main(int argc, char **argv) {
        rd_kafka_conf_t *conf;
        char errstr[512];
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        pid_t parent = getppid();
        long long n;

        /* Die with the parent, and catch the race where it died before the
         * prctl call took effect. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                return 1;

        if (argc < 2 || !parse_long(argv[1], 1, 64, &n)) {
                printf("fatal usage: mock-cluster <broker-count 1..64> [--port BASE] [--log-groups]\n");
                fflush(stdout);
                return 1;
        }
        broker_count = (int)n;
        for (int i = 2; i < argc; i++) {
                long long port;
                if (!strcmp(argv[i], "--log-groups")) {
                        log_groups = 1;
                } else if (!strcmp(argv[i], "--port") && i + 1 < argc &&
                           parse_long(argv[i + 1], 1, 65536 - broker_count, &port)) {
                        base_port = (int)port;
                        i++;
                } else {
                        printf("fatal bad argument '%s': expected --port BASE (1..%d) or --log-groups\n",
                               argv[i], 65536 - broker_count);
                        fflush(stdout);
                        return 1;
                }
        }
        signal(SIGINT, SIG_IGN);
        setvbuf(stderr, NULL, _IOLBF, 0);

        conf = rd_kafka_conf_new();
        /* The handle only hosts the mock; it must not try to reach a cluster. */
        rd_kafka_conf_set(conf, "log_level", log_groups ? "7" : "4", NULL, 0);
        rd_kafka_conf_set_log_cb(conf, log_cb);
        if (log_groups && rd_kafka_conf_set(conf, "debug", "mock", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
                printf("fatal cannot enable the mock's group log: %s\n", errstr);
                fflush(stdout);
                return 1;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                printf("fatal rd_kafka_new failed: %s\n", errstr);
                fflush(stdout);
                return 1;
        }

        mcluster = rd_kafka_mock_cluster_new(rk, broker_count);
        if (!mcluster) {
                printf("fatal rd_kafka_mock_cluster_new failed (see stderr)\n");
                fflush(stdout);
                rd_kafka_destroy(rk);
                return 1;
        }

        print_ready();

        while ((len = getline(&line, &cap, stdin)) != -1) {
                char *args[MAX_ARGS];
                int nargs = 0;
                char *save = NULL, *id, *cmd, *tok;

                while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                        line[--len] = '\0';
                id = strtok_r(line, " ", &save);
                if (!id)
                        continue;
                cmd = strtok_r(NULL, " ", &save);
                if (!cmd) {
                        answer_err(id, "INVALID_ARGUMENT", "missing command");
                        continue;
                }
                while ((tok = strtok_r(NULL, " ", &save)) && nargs < MAX_ARGS)
                        args[nargs++] = tok;
                if (tok) {
                        answer_err(id, "INVALID_ARGUMENT",
                                   "too many arguments (at most %d)", MAX_ARGS);
                        continue;
                }
                handle(id, cmd, nargs, args);
        }

        free(line);
        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(rk);
        return 0;
}
