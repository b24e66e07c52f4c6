// SMTP_CHECK: the greeting must be 220 and HELO must be answered 250; the
// checker then passes and closes without waiting for more.
#include "checkd/smtp_reply.h"
#include "checkd/stream_attempt.h"

namespace hakeep::checkd {
namespace {

class SmtpCheck final : public StreamAttempt {
public:
    SmtpCheck(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done)
        : StreamAttempt(loop, spec, std::move(done), "smtp") {
        connect();
    }

private:
    void on_connected() override {}  // the server speaks first

    void on_data(std::string_view bytes) override {
        while (!finished()) {
            const SmtpReplyReader::Status status = reader_.feed(bytes);
            if (status == SmtpReplyReader::Status::failed) return fail(reader_.error());
            if (status == SmtpReplyReader::Status::need_more) return;
            const int code = reader_.code();
            reader_.next();
            if (!greeted_) {
                if (code != 220) return fail("smtp: greeting " + std::to_string(code));
                greeted_ = true;
                send("HELO " + spec_.helo_name() + "\r\n");
                continue;
            }
            if (code != 250) return fail("smtp: HELO answered " + std::to_string(code));
            return succeed();
        }
    }

    void on_closed() override { fail(greeted_ ? "smtp: connection closed after greeting" : "smtp: connection closed"); }

    SmtpReplyReader reader_;
    bool greeted_ = false;
};

}  // namespace

std::unique_ptr<Attempt> start_smtp_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done) {
    return std::make_unique<SmtpCheck>(loop, spec, std::move(done));
}

}  // namespace hakeep::checkd
