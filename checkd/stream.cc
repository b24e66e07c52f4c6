#include "checkd/stream.h"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>

#include "common/log.h"

namespace hakeep::checkd {
namespace {

class PlainStream final : public Stream {
public:
    explicit PlainStream(int fd) : fd_(fd) {}
    Io handshake() override { return Io::done; }
    Io write(std::string_view data, std::size_t& written) override {
        written = 0;
        const ssize_t sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent >= 0) {
            written = static_cast<std::size_t>(sent);
            return Io::done;
        }
        return errno == EAGAIN || errno == EINTR ? Io::want_write : failed(errno);
    }
    Io read(char* buffer, std::size_t size, std::size_t& got) override {
        got = 0;
        const ssize_t received = ::recv(fd_, buffer, size, MSG_DONTWAIT);
        if (received > 0) {
            got = static_cast<std::size_t>(received);
            return Io::done;
        }
        if (received == 0) return Io::closed;
        return errno == EAGAIN || errno == EINTR ? Io::want_read : failed(errno);
    }

private:
    Io failed(int error) {
        error_ = error == ECONNRESET ? "connection reset" : std::string("I/O error: ") + std::strerror(error);
        return Io::failed;
    }
    int fd_;
};

struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct SslCtxFree {
    void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
using SslContext = std::unique_ptr<SSL_CTX, SslCtxFree>;

class TlsStream final : public Stream {
public:
    explicit TlsStream(SSL* ssl) : ssl_(ssl) {}
    Io handshake() override {
        ERR_clear_error();
        const int rc = SSL_connect(ssl_.get());
        if (rc == 1) return Io::done;
        const Io io = outcome(rc);
        if (io == Io::closed || io == Io::failed) {
            const long verify = SSL_get_verify_result(ssl_.get());
            if (verify != X509_V_OK) {
                error_ = std::string("tls: certificate verify failed: ") + X509_verify_cert_error_string(verify);
            } else {
                const unsigned long detail = ERR_peek_last_error();
                HK_LOG_DEBUG("TLS handshake: %s", detail ? ERR_reason_error_string(detail) : "connection closed");
                error_ = "tls: handshake failed";
            }
            return Io::failed;
        }
        return io;
    }
    Io write(std::string_view data, std::size_t& written) override {
        written = 0;
        ERR_clear_error();
        std::size_t done = 0;
        const int rc = SSL_write_ex(ssl_.get(), data.data(), data.size(), &done);
        if (rc == 1) {
            written = done;
            return Io::done;
        }
        return outcome(rc);
    }
    Io read(char* buffer, std::size_t size, std::size_t& got) override {
        got = 0;
        ERR_clear_error();
        std::size_t done = 0;
        const int rc = SSL_read_ex(ssl_.get(), buffer, size, &done);
        if (rc == 1) {
            got = done;
            return Io::done;
        }
        return outcome(rc);
    }
    void shutdown() override {
        ERR_clear_error();
        SSL_shutdown(ssl_.get());
    }

private:
    Io outcome(int rc) {
        switch (SSL_get_error(ssl_.get(), rc)) {
        case SSL_ERROR_WANT_READ: return Io::want_read;
        case SSL_ERROR_WANT_WRITE: return Io::want_write;
        case SSL_ERROR_ZERO_RETURN: return Io::closed;
        case SSL_ERROR_SYSCALL:
            if (errno == 0 || errno == EPIPE) return Io::closed;
            error_ = errno == ECONNRESET ? "connection reset" : "tls: I/O error";
            return Io::failed;
        case SSL_ERROR_SSL:
            // Only with tls_compliant: otherwise OpenSSL takes such an end as a close.
            if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
                error_ = "tls: closed without close_notify";
                return Io::failed;
            }
            error_ = "tls: protocol error";
            return Io::failed;
        default: error_ = "tls: protocol error"; return Io::failed;
        }
    }
    std::unique_ptr<SSL, SslFree> ssl_;
};

struct Contexts {
    std::map<std::string, SslContext> by_setting;  // tls_setting_key() -> context
    std::map<std::string, std::string> failures;
    bool sealed = false;
};

Contexts& contexts() {
    static Contexts instance;
    return instance;
}

int key_password(char* buffer, int size, int, void* password) {
    const auto* text = static_cast<const std::string*>(password);
    if (text->size() >= static_cast<std::size_t>(size)) return -1;
    std::memcpy(buffer, text->data(), text->size());
    return static_cast<int>(text->size());
}

SslContext make_context(const proto::CheckerSpec& spec, std::string& error) {
    SslContext context(SSL_CTX_new(TLS_client_method()));
    if (!context) {
        error = "tls: no context";
        return nullptr;
    }
    // Servers that close without close_notify end a body, as HTTP/1.0 allows.
    SSL_CTX_set_options(context.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_session_cache_mode(context.get(), SSL_SESS_CACHE_OFF);
    if (!spec.client_cert().empty()) {
        // keepalived's SSL { certificate key password }: read now, before the sandbox.
        const std::string key = spec.client_key().empty() ? spec.client_cert() : spec.client_key();
        SSL_CTX_set_default_passwd_cb(context.get(), key_password);
        SSL_CTX_set_default_passwd_cb_userdata(context.get(), const_cast<std::string*>(&spec.key_password()));
        const bool loaded = SSL_CTX_use_certificate_chain_file(context.get(), spec.client_cert().c_str()) == 1 &&
                            SSL_CTX_use_PrivateKey_file(context.get(), key.c_str(), SSL_FILETYPE_PEM) == 1 &&
                            SSL_CTX_check_private_key(context.get()) == 1;
        SSL_CTX_set_default_passwd_cb(context.get(), nullptr);
        SSL_CTX_set_default_passwd_cb_userdata(context.get(), nullptr);
        if (!loaded) {
            error = "tls: cannot load client certificate " + spec.client_cert() + " with key " + key;
            return nullptr;
        }
    }
    if (!spec.verify_cert()) {
        SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
        return context;
    }
    // Loaded whole, now: a lookup directory would open files later, in the sandbox.
    const std::string file = spec.ca_file().empty() ? X509_get_default_cert_file() : spec.ca_file();
    if (SSL_CTX_load_verify_file(context.get(), file.c_str()) != 1) {
        error = "tls: cannot load CA file " + file;
        return nullptr;
    }
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
    return context;
}

}  // namespace

std::string tls_setting_key(const proto::CheckerSpec& spec) {
    if (!spec.tls() || (!spec.verify_cert() && spec.client_cert().empty())) return "";
    return std::string(spec.verify_cert() ? "verify" : "") + '\0' + (spec.verify_cert() ? spec.ca_file() : "") +
           '\0' + spec.client_cert() + '\0' + spec.client_key() + '\0' + spec.key_password();
}

std::unique_ptr<Stream> plain_stream(int fd) { return std::make_unique<PlainStream>(fd); }

void prepare_crypto() {
    // Certificate time checks reach glibc's time-zone code, which would open
    // /etc/localtime on first use (and stat it again later): a fixed zone
    // never touches a file.
    setenv("TZ", "UTC0", 1);
    tzset();
    OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, nullptr);
    // Fetch MD5 and seed the generator now: both may read files the first time.
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest("", 0, digest, &length, EVP_md5(), nullptr);
    unsigned char random[16];
    RAND_bytes(random, sizeof random);
}

void prepare_tls(const std::vector<const proto::CheckerSpec*>& specs) {
    prepare_crypto();
    Contexts& all = contexts();
    proto::CheckerSpec plain;
    plain.set_tls(true);
    std::vector<const proto::CheckerSpec*> wanted = {&plain};
    for (const proto::CheckerSpec* spec : specs)
        if (spec->tls()) wanted.push_back(spec);
    for (const proto::CheckerSpec* spec : wanted) {
        const std::string key = tls_setting_key(*spec);
        if (all.by_setting.contains(key) || all.failures.contains(key)) continue;
        if (all.sealed) {
            all.failures[key] = "tls: CA and certificate files are read at start only (restart checkd)";
            continue;
        }
        std::string error;
        SslContext context = make_context(*spec, error);
        if (context) all.by_setting[key] = std::move(context);
        else {
            HK_LOG_ERROR("%s", error.c_str());
            all.failures[key] = error;
        }
    }
}

void seal_tls() { contexts().sealed = true; }

std::unique_ptr<Stream> tls_stream(int fd, const proto::CheckerSpec& spec, std::string& error) {
    Contexts& all = contexts();
    const std::string key = tls_setting_key(spec);
    auto found = all.by_setting.find(key);
    if (found == all.by_setting.end()) {
        auto failure = all.failures.find(key);
        error = failure != all.failures.end() ? failure->second : "tls: context not prepared";
        return nullptr;
    }
    std::unique_ptr<SSL, SslFree> ssl(SSL_new(found->second.get()));
    if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) {
        error = "tls: cannot create a session";
        return nullptr;
    }
    // tls_compliant: an end without close_notify is an error (keepalived's SSL_GET option).
    if (spec.tls_compliant()) SSL_clear_options(ssl.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (!spec.sni_name().empty()) SSL_set_tlsext_host_name(ssl.get(), spec.sni_name().c_str());
    if (spec.verify_cert()) {
        // The name checked: the SNI name, else the virtualhost, else the address.
        std::string host = spec.sni_name();
        if (host.empty() && !spec.urls().empty()) host = spec.urls(0).virtualhost();
        if (host.empty()) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), spec.address().c_str());
        else SSL_set1_host(ssl.get(), host.c_str());
    }
    SSL_set_connect_state(ssl.get());
    return std::make_unique<TlsStream>(ssl.release());
}

}  // namespace hakeep::checkd
