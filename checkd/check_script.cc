// MISC_CHECK and vrrp_script: the program runs in a new session (its own
// process group), with a clean environment, no descriptor of ours, stdin,
// stdout and stderr on /dev/null, and dies if the script worker does. At the
// timeout the whole group is killed. MISC_CHECK's misc_dynamic: exit 0 is
// up, 1 down, 2..255 up with weight status - 2 (keepalived).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <vector>

#include "checkd/local_checks.h"
#include "checkd/process.h"
#include "common/log.h"

namespace hakeep::checkd {
namespace {

// PATH only: no variable of checkd's own environment reaches a script.
constexpr const char* clean_path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

void log_refusal_once(const std::string& script, const std::string& problem) {
    static std::set<std::string> logged;
    if (logged.insert(script + '\0' + problem).second)
        HK_LOG_ERROR("script %s refused: %s", script.c_str(), problem.c_str());
}

class ScriptCheck final : public Attempt {
public:
    ScriptCheck(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done)
        : Attempt(loop, std::move(done)), spec_(spec) {
        const std::string& script = spec.command(0);
        if (std::string problem = script_security_problem(script, geteuid()); !problem.empty()) {
            log_refusal_once(script, problem);
            fail_soon("script: unsafe: " + problem.substr(0, problem.find(" (fix:")));
            return;
        }
        // Everything the child needs is built before fork: it only execs.
        std::vector<char*> argv;
        for (const std::string& word : spec.command()) argv.push_back(const_cast<char*>(word.c_str()));
        argv.push_back(nullptr);
        char* envp[] = {const_cast<char*>(clean_path), nullptr};
        const pid_t worker = getpid();
        pid_ = fork();
        if (pid_ == 0) exec_child(argv.data(), envp, worker);
        if (pid_ < 0) {
            fail_soon(std::string("script: cannot fork: ") + std::strerror(errno));
            return;
        }
        fd_.reset(static_cast<int>(syscall(SYS_pidfd_open, pid_, 0)));
        if (!fd_) {
            fail_soon(std::string("script: pidfd_open: ") + std::strerror(errno));
            return;
        }
        set_deadline(std::chrono::milliseconds(spec.script_timeout_ms()), [this] { on_timeout(); });
        watch_fd(EPOLLIN, [this](std::uint32_t) { on_exit(); });
    }

    ~ScriptCheck() override {
        // Stopped before its end (a reload, a shutdown): nothing of it survives.
        if (pid_ > 0) {
            kill_group();
            int status = 0;
            waitpid(pid_, &status, 0);
        }
    }

private:
    [[noreturn]] static void exec_child(char** argv, char** envp, pid_t worker) {
        setsid();  // its own session and process group, killed as a whole at the timeout
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != worker) _exit(126);
        struct sigaction defaults{};
        defaults.sa_handler = SIG_DFL;
        for (int signal_number = 1; signal_number < NSIG; ++signal_number)
            sigaction(signal_number, &defaults, nullptr);  // SIGPIPE was ignored here
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        const int null = open("/dev/null", O_RDWR);
        if (null < 0) _exit(126);
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        close_range(3, ~0U, 0);
        execve(argv[0], argv, envp);
        _exit(127);
    }

    void kill_group() {
        kill(-pid_, SIGKILL);
        kill(pid_, SIGKILL);  // in case it had not reached setsid() yet
    }

    void on_timeout() {
        timed_out_ = true;
        kill_group();
        // Its exit follows at once; on_exit() reports the timeout.
    }

    void on_exit() {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) != pid_) return;
        pid_ = 0;
        if (timed_out_) return fail("script: timeout");
        if (WIFSIGNALED(status)) return fail("script: " + wait_status_text(status));
        const int code = WEXITSTATUS(status);
        if (code == 0) return succeed();
        if (code == 127) return fail("script: exit 127 (cannot execute " + spec_.command(0) + ")");
        if (spec_.misc_dynamic() && code >= 2) return finish(AttemptResult{true, "", code - 2});
        fail("script: exit " + std::to_string(code));
    }

    const proto::CheckerSpec& spec_;
    pid_t pid_ = 0;
    bool timed_out_ = false;
};

}  // namespace

std::unique_ptr<Attempt> start_script_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done) {
    return std::make_unique<ScriptCheck>(loop, spec, std::move(done));
}

}  // namespace hakeep::checkd
