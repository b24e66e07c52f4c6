// A connected, non-blocking byte stream for the checkers that talk (HTTP_GET,
// SSL_GET, SMTP_CHECK): plain TCP or OpenSSL over the same descriptor. Each
// call does what it can without blocking and says what it waits for.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/proto/hakeep.pb.h"

namespace hakeep::checkd {

class Stream {
public:
    enum class Io { done, want_read, want_write, closed, failed };

    virtual ~Stream() = default;
    virtual Io handshake() = 0;
    virtual Io write(std::string_view data, std::size_t& written) = 0;
    virtual Io read(char* buffer, std::size_t size, std::size_t& got) = 0;
    // Says goodbye (TLS close_notify), once, best effort, without blocking.
    virtual void shutdown() {}
    // The typed reason after Io::failed: "tls: handshake failed", ...
    const std::string& error() const { return error_; }

protected:
    std::string error_;
};

std::unique_ptr<Stream> plain_stream(int fd);
// Null if no TLS context is ready for `spec` (see prepare_tls); `error` says why.
std::unique_ptr<Stream> tls_stream(int fd, const proto::CheckerSpec& spec, std::string& error);

// TLS contexts read CA files and OpenSSL's configuration: that happens here,
// before the sandbox, for every SSL_GET in `specs`. After seal_tls(), a
// context that was not prepared is an error, never a file read.
void prepare_tls(const std::vector<const proto::CheckerSpec*>& specs);
// What a TLS context of `spec` is made of (verification, CA file, client
// certificate): equal keys share one context, and a worker that has not
// loaded a key must start afresh to read its files. Empty for a plain
// SSL_GET (no verification, no client certificate) and for other checkers.
std::string tls_setting_key(const proto::CheckerSpec& spec);
void seal_tls();
// MD5 (HTTP digests) and the random generator, fetched before the sandbox.
void prepare_crypto();

}  // namespace hakeep::checkd
