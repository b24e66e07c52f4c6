// HTTP_GET and SSL_GET: every url of the checker in turn, each on its own
// connection; the checker passes when every url answers with an allowed
// status (and, with a digest, the body's MD5). The reply is read only by
// HttpResponseParser, with its caps.
#include <memory>

#include "checkd/http_regex.h"
#include "checkd/http_response.h"
#include "checkd/net_socket.h"
#include "checkd/stream_attempt.h"

namespace hakeep::checkd {
namespace {

class HttpCheck final : public StreamAttempt {
public:
    HttpCheck(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done)
        : StreamAttempt(loop, spec, std::move(done), "http") {
        begin_url();
    }

private:
    void begin_url() {
        const proto::HttpUrl& url = spec_.urls(url_index_);
        response_ = std::make_unique<HttpResponseParser>(
            HttpResponseParser::BodyUse{!url.digest().empty(), url.regex().empty() ? 0 : regex_body_bytes});
        connect();
    }

    void on_connected() override {
        send(build_http_request(spec_.urls(url_index_), spec_.http_protocol(),
                                target_text(spec_.address(), spec_.port())));
    }

    void on_data(std::string_view bytes) override {
        if (awaiting_close_) return;  // after a complete reply: only its end matters
        if (response_->feed(bytes) != HttpResponseParser::Status::need_more) judge(false);
    }

    void on_closed() override {
        if (awaiting_close_) return next_url();
        response_->finish();
        judge(true);
    }

    void judge(bool closed) {
        const std::string reason = judge_http_response(*response_, spec_.urls(url_index_));
        if (!reason.empty()) return fail(reason);
        // tls_compliant: the reply counts once the server has ended the TLS
        // session properly (close_notify); an end without one fails the read.
        if (spec_.tls_compliant() && !closed) {
            awaiting_close_ = true;
            return;
        }
        next_url();
    }

    void next_url() {
        awaiting_close_ = false;
        if (spec_.tls_compliant()) shutdown_stream();
        if (++url_index_ < spec_.urls_size()) return begin_url();
        succeed();
    }

    bool awaiting_close_ = false;
    int url_index_ = 0;
    std::unique_ptr<HttpResponseParser> response_;
};

}  // namespace

std::unique_ptr<Attempt> start_http_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done) {
    return std::make_unique<HttpCheck>(loop, spec, std::move(done));
}

}  // namespace hakeep::checkd
