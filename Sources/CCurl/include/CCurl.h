// libcurl, loaded with dlopen on first use rather than linked.
//
// libcurl pulls in about 27 shared libraries (OpenSSL, GnuTLS, Kerberos, LDAP, SSH and
// more) whose pages would stay resident in a daemon that spends most of its life idle.
// Only the process that sends requests loads it: the HTTP worker, or a command such as
// send-test. The types and constants still come from libcurl's -dev package.
// The functions below wrap the pointers that crashfwd_curl_load resolves.
//
// curl_easy_setopt and curl_easy_getinfo are variadic, and Swift cannot call C variadic
// functions, so each argument type the client passes gets one typed wrapper.
#ifndef CRASHFWD_CCURL_H
#define CRASHFWD_CCURL_H

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stddef.h>

/// The shared object loaded: the soname of Debian's libcurl4 package.
#define CRASHFWD_CURL_SONAME "libcurl.so.4"

/// Loads libcurl and runs curl_global_init once per process, and returns NULL on success or
/// the reason it failed. Later calls return the first call's result. Thread-safe.
const char *crashfwd_curl_load(void);

CURL *crashfwd_curl_easy_init(void);
void crashfwd_curl_easy_cleanup(CURL *handle);
void crashfwd_curl_easy_reset(CURL *handle);
CURLcode crashfwd_curl_easy_perform(CURL *handle);
const char *crashfwd_curl_easy_strerror(CURLcode code);

struct curl_slist *crashfwd_curl_slist_append(struct curl_slist *list, const char *string);
void crashfwd_curl_slist_free_all(struct curl_slist *list);

curl_mime *crashfwd_curl_mime_init(CURL *handle);
void crashfwd_curl_mime_free(curl_mime *mime);
curl_mimepart *crashfwd_curl_mime_addpart(curl_mime *mime);
CURLcode crashfwd_curl_mime_name(curl_mimepart *part, const char *name);
CURLcode crashfwd_curl_mime_filedata(curl_mimepart *part, const char *path);
CURLcode crashfwd_curl_mime_filename(curl_mimepart *part, const char *name);
CURLcode crashfwd_curl_mime_type(curl_mimepart *part, const char *type);

CURLcode crashfwd_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode crashfwd_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode crashfwd_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode crashfwd_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode crashfwd_curl_setopt_write_function(
    CURL *handle, size_t (*callback)(char *, size_t, size_t, void *));
CURLcode crashfwd_curl_setopt_header_function(
    CURL *handle, size_t (*callback)(char *, size_t, size_t, void *));
CURLcode crashfwd_curl_setopt_xferinfo_function(
    CURL *handle, int (*callback)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t));

CURLcode crashfwd_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode crashfwd_curl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value);
CURLcode crashfwd_curl_getinfo_double(CURL *handle, CURLINFO info, double *value);

#endif
