/* Runs a command and reports its pid and peak memory: `spawn-rss OUT CMD ARGS...` writes
 * "PID MAXRSS_KB" to the file OUT and exits with the command's status.
 *
 * The benchmark harness needs it because Linux carries a process's peak RSS across exec:
 * a command started straight from the harness (a Python process holding thousands of
 * objects) would report the harness's own peak. This helper is tiny, and the command is its
 * child, so wait4() reports the command's memory alone (and that of the children it waited for). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: spawn-rss OUT CMD [ARGS...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 127;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("wait4");
        return 127;
    }
    FILE *f = fopen(argv[1], "w");
    if (f) {
        fprintf(f, "%d %ld\n", (int)pid, ru.ru_maxrss);
        fclose(f);
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
