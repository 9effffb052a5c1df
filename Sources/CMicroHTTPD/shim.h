// libmicrohttpd, for the Centercode sandbox server.
//
// Swift cannot call C variadic functions or read macros that contain casts, so the
// static inline wrappers below give the sandbox fixed-argument entry points.
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <gnutls/crypto.h>

/// Value a content reader returns to abort the connection mid-body.
static inline ssize_t sandbox_mhd_reader_end_with_error(void) {
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

/// Starts a daemon bound to 127.0.0.1:port (0 picks a free port).
///
/// `tls_cert` and `tls_key` are PEM text; both NULL serves plain HTTP. MHD copies
/// neither the address nor the PEM strings, so the caller keeps the PEM strings alive
/// until MHD_stop_daemon returns. Returns NULL when the daemon cannot start.
static inline struct MHD_Daemon *sandbox_mhd_start_loopback(
    unsigned int flags, uint16_t port,
    MHD_AccessHandlerCallback handler, void *handler_cls,
    MHD_RequestCompletedCallback completed, void *completed_cls,
    unsigned int connection_timeout_seconds,
    const char *tls_cert, const char *tls_key) {
    struct sockaddr_in address;
    memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    struct MHD_OptionItem options[6];
    size_t count = 0;
    options[count++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &address};
    options[count++] = (struct MHD_OptionItem){
        MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, completed_cls};
    options[count++] = (struct MHD_OptionItem){
        MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)connection_timeout_seconds, NULL};
    if (tls_cert != NULL && tls_key != NULL) {
        flags |= MHD_USE_TLS;
        options[count++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)tls_cert};
        options[count++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)tls_key};
    }
    options[count] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return MHD_start_daemon(flags, port, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

/// Returns the port a running daemon listens on, or 0 when MHD cannot tell.
static inline uint16_t sandbox_mhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/// Returns the request's Content-Length as sent by the client, or -1 when absent.
static inline int64_t sandbox_mhd_content_length(struct MHD_Connection *connection) {
    const char *value = MHD_lookup_connection_value(
        connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (value == NULL) {
        return -1;
    }
    char *end = NULL;
    long long parsed = strtoll(value, &end, 10);
    return (end == value || parsed < 0) ? -1 : (int64_t)parsed;
}
