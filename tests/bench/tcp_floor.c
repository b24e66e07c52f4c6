/* The floor of checkd's TCP benchmark: the least any TCP_CHECK implementation
 * can spend on the same work. PROCESSES processes (checkd's network
 * workers), each with its share of the targets, no scheduler, no IPC, no
 * results: every 2 ms each starts its next connections to
 * FIRST_ADDRESS+0 .. +ADDRESSES-1 x PORT .. PORT+PORTS-1 (RATE a second in
 * all, round robin), non-blocking; on EPOLLOUT it sets SO_LINGER 0 and closes (a
 * reset, as checkd does), so the system calls per check are checkd's own:
 * socket, connect, epoll_ctl, setsockopt, close. A connection not made
 * within 1 s is closed and counted failed (connect_timeout 1). Runs SECONDS,
 * then prints their CPU (user, kernel) and the connections made and failed.
 *
 * MODE "reuse" (not what checkd does; a measured option): a socket is reset
 * by connect(AF_UNSPEC) instead (the kernel sends the same RST) and kept for
 * a later connection, its epoll registration re-armed (EPOLLONESHOT), so a
 * check costs connect, epoll_ctl, connect: no socket made or freed.
 *
 *   tcp_floor FIRST_ADDRESS ADDRESSES PORT PORTS RATE SECONDS PROCESSES [reset|reuse]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

struct totals { long done, failed, timeouts; };

static int reuse;  /* MODE reuse */

/* Targets `share`, `share + processes`, ... of all, `rate` a second. */
static struct totals run(struct in_addr first, long port, long ports, long targets, long share, long processes, long rate,
                         double seconds) {
    /* As checkd's workers do: a descriptor per connection in progress. */
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    const int epoll = epoll_create1(EPOLL_CLOEXEC);
    long next = share, done = 0, failed = 0, started = 0, timeouts = 0;
    /* Connections in progress, oldest first: the 1 s deadlines fall in start order. */
    const long slots = (long)files.rlim_cur;
    struct pending { int fd; long serial; double at; } *queue = calloc((size_t)slots, sizeof *queue);
    long *serial_of = calloc((size_t)slots, sizeof *serial_of), head = 0, tail = 0, serial = 0;
    /* reuse: sockets reset and free for a next connection; those in the epoll set */
    int *free_fds = calloc((size_t)slots, sizeof *free_fds), free_count = 0;
    char *registered = calloc((size_t)slots, 1);
    const double begin = now_s();
    struct epoll_event events[256];
    for (;;) {
        const double elapsed = now_s() - begin;
        if (elapsed >= seconds) break;
        /* Start what is due by now: rate * elapsed in all. */
        for (long due = (long)(elapsed * (double)rate); started < due; ++started) {
            struct sockaddr_in target = {.sin_family = AF_INET};
            target.sin_addr.s_addr = htonl(ntohl(first.s_addr) + (uint32_t)(next / ports));
            target.sin_port = htons((uint16_t)(port + next % ports));
            next = (next + processes) % targets;
            const int fd =
                free_count > 0 ? free_fds[--free_count] : socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                if (failed++ < 3) fprintf(stderr, "tcp_floor: socket: %s\n", strerror(errno));
                continue;
            }
            if (connect(fd, (struct sockaddr*)&target, sizeof target) != 0 && errno != EINPROGRESS) {
                if (failed++ < 3) fprintf(stderr, "tcp_floor: connect: %s\n", strerror(errno));
                close(fd);
                continue;
            }
            struct epoll_event event = {.events = EPOLLOUT | (reuse ? EPOLLONESHOT : 0), .data.fd = fd};
            epoll_ctl(epoll, registered[fd] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
            registered[fd] = (char)reuse;
            serial_of[fd] = ++serial;
            queue[tail] = (struct pending){fd, serial, now_s()};
            tail = (tail + 1) % slots;
        }
        for (const double expired = now_s() - 1; head != tail && queue[head].at <= expired; head = (head + 1) % slots) {
            if (serial_of[queue[head].fd] != queue[head].serial) continue;  /* done already */
            serial_of[queue[head].fd] = 0;
            registered[queue[head].fd] = 0;
            close(queue[head].fd);
            ++failed;
            ++timeouts;
        }
        const int ready = epoll_wait(epoll, events, 256, 2);
        for (int index = 0; index < ready; ++index) {
            const int fd = events[index].data.fd;
            serial_of[fd] = 0;
            if (events[index].events & (EPOLLERR | EPOLLHUP)) {
                int error = 0;
                socklen_t length = sizeof error;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
                if (failed++ < 3) fprintf(stderr, "tcp_floor: connect: %s\n", strerror(error));
            } else {
                ++done;
                if (!reuse) {
                    const struct linger reset = {1, 0};
                    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
                }
            }
            const struct sockaddr unspec = {.sa_family = AF_UNSPEC};
            if (reuse && connect(fd, &unspec, sizeof unspec) == 0) {
                free_fds[free_count++] = fd;
                continue;
            }
            registered[fd] = 0;
            close(fd);
        }
    }
    return (struct totals){done, failed, timeouts};
}

int main(int argc, char** argv) {
    if (argc != 8 && argc != 9) {
        fprintf(stderr, "usage: tcp_floor FIRST_ADDRESS ADDRESSES PORT PORTS RATE SECONDS PROCESSES [reset|reuse]\n");
        return 2;
    }
    reuse = argc == 9 && strcmp(argv[8], "reuse") == 0;
    struct in_addr first;
    if (inet_pton(AF_INET, argv[1], &first) != 1) return 2;
    const long addresses = atol(argv[2]), port = atol(argv[3]), ports = atol(argv[4]);
    const long rate = atol(argv[5]), processes = atol(argv[7]);
    const double seconds = atof(argv[6]);
    int pipes[2];
    if (processes < 1 || pipe(pipes) != 0) return 2;
    const double begin = now_s();
    for (long share = 0; share < processes; ++share) {
        if (fork() != 0) continue;
        const struct totals mine = run(first, port, ports, addresses * ports, share, processes, rate / processes, seconds);
        if (write(pipes[1], &mine, sizeof mine) != sizeof mine) _exit(1);
        _exit(0);
    }
    long done = 0, failed = 0, timeouts = 0;
    for (long share = 0; share < processes; ++share) {
        struct totals theirs;
        if (read(pipes[0], &theirs, sizeof theirs) != sizeof theirs) return 1;
        done += theirs.done;
        failed += theirs.failed;
        timeouts += theirs.timeouts;
    }
    while (wait(NULL) > 0) {}
    struct rusage usage;
    getrusage(RUSAGE_CHILDREN, &usage);
    const double elapsed = now_s() - begin;
    const double user = cpu_s(usage.ru_utime), kernel = cpu_s(usage.ru_stime);
    printf("tcp_floor (%s): %.1f s, %ld connected (%.0f per second), %ld failed (%ld timeouts), CPU %.2f s (user %.2f, kernel %.2f), "
           "%.1f%% of one core, %.3f s per 10,000\n",
           reuse ? "reuse" : "reset", elapsed, done, (double)done / elapsed, failed, timeouts, user + kernel, user, kernel,
           100 * (user + kernel) / elapsed, done ? (user + kernel) * 10000 / (double)done : 0.0);
    return 0;
}
