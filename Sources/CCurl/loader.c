// Resolves libcurl's functions at run time; see CCurl.h for why.
#include "CCurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    curl_mime *(*mime_init)(CURL *);
    void (*mime_free)(curl_mime *);
    curl_mimepart *(*mime_addpart)(curl_mime *);
    CURLcode (*mime_name)(curl_mimepart *, const char *);
    CURLcode (*mime_filedata)(curl_mimepart *, const char *);
    CURLcode (*mime_filename)(curl_mimepart *, const char *);
    CURLcode (*mime_type)(curl_mimepart *, const char *);
} curl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];
static const char *load_result = load_error;

static int resolve(void *library, const char *name, void **slot) {
    *slot = dlsym(library, name);
    if (*slot != NULL) return 1;
    snprintf(load_error, sizeof load_error, "%s has no function %s; install libcurl 7.85 or later",
             CRASHFWD_CURL_SONAME, name);
    return 0;
}

static void load(void) {
    // RTLD_LOCAL keeps libcurl's symbols from resolving anything else in the process. The
    // library is never closed, so the pointers below stay valid.
    void *library = dlopen(CRASHFWD_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(load_error, sizeof load_error, "cannot load %s: %s; install the libcurl4 package",
                 CRASHFWD_CURL_SONAME, reason != NULL ? reason : "unknown error");
        return;
    }
    int resolved = resolve(library, "curl_global_init", (void **)&curl.global_init)
        && resolve(library, "curl_easy_init", (void **)&curl.easy_init)
        && resolve(library, "curl_easy_cleanup", (void **)&curl.easy_cleanup)
        && resolve(library, "curl_easy_reset", (void **)&curl.easy_reset)
        && resolve(library, "curl_easy_perform", (void **)&curl.easy_perform)
        && resolve(library, "curl_easy_strerror", (void **)&curl.easy_strerror)
        && resolve(library, "curl_easy_setopt", (void **)&curl.easy_setopt)
        && resolve(library, "curl_easy_getinfo", (void **)&curl.easy_getinfo)
        && resolve(library, "curl_slist_append", (void **)&curl.slist_append)
        && resolve(library, "curl_slist_free_all", (void **)&curl.slist_free_all)
        && resolve(library, "curl_mime_init", (void **)&curl.mime_init)
        && resolve(library, "curl_mime_free", (void **)&curl.mime_free)
        && resolve(library, "curl_mime_addpart", (void **)&curl.mime_addpart)
        && resolve(library, "curl_mime_name", (void **)&curl.mime_name)
        && resolve(library, "curl_mime_filedata", (void **)&curl.mime_filedata)
        && resolve(library, "curl_mime_filename", (void **)&curl.mime_filename)
        && resolve(library, "curl_mime_type", (void **)&curl.mime_type);
    if (!resolved) return;
    CURLcode code = curl.global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed: %s",
                 curl.easy_strerror(code));
        return;
    }
    load_result = NULL;
}

const char *crashfwd_curl_load(void) {
    pthread_once(&load_once, load);
    return load_result;
}

CURL *crashfwd_curl_easy_init(void) { return curl.easy_init(); }
void crashfwd_curl_easy_cleanup(CURL *handle) { curl.easy_cleanup(handle); }
void crashfwd_curl_easy_reset(CURL *handle) { curl.easy_reset(handle); }
CURLcode crashfwd_curl_easy_perform(CURL *handle) { return curl.easy_perform(handle); }
const char *crashfwd_curl_easy_strerror(CURLcode code) { return curl.easy_strerror(code); }

struct curl_slist *crashfwd_curl_slist_append(struct curl_slist *list, const char *string) {
    return curl.slist_append(list, string);
}
void crashfwd_curl_slist_free_all(struct curl_slist *list) { curl.slist_free_all(list); }

curl_mime *crashfwd_curl_mime_init(CURL *handle) { return curl.mime_init(handle); }
void crashfwd_curl_mime_free(curl_mime *mime) { curl.mime_free(mime); }
curl_mimepart *crashfwd_curl_mime_addpart(curl_mime *mime) { return curl.mime_addpart(mime); }
CURLcode crashfwd_curl_mime_name(curl_mimepart *part, const char *name) {
    return curl.mime_name(part, name);
}
CURLcode crashfwd_curl_mime_filedata(curl_mimepart *part, const char *path) {
    return curl.mime_filedata(part, path);
}
CURLcode crashfwd_curl_mime_filename(curl_mimepart *part, const char *name) {
    return curl.mime_filename(part, name);
}
CURLcode crashfwd_curl_mime_type(curl_mimepart *part, const char *type) {
    return curl.mime_type(part, type);
}

CURLcode crashfwd_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode crashfwd_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode crashfwd_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode crashfwd_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode crashfwd_curl_setopt_write_function(
    CURL *handle, size_t (*callback)(char *, size_t, size_t, void *)) {
    return curl.easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}
CURLcode crashfwd_curl_setopt_header_function(
    CURL *handle, size_t (*callback)(char *, size_t, size_t, void *)) {
    return curl.easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}
CURLcode crashfwd_curl_setopt_xferinfo_function(
    CURL *handle, int (*callback)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t)) {
    return curl.easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

CURLcode crashfwd_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl.easy_getinfo(handle, info, value);
}
CURLcode crashfwd_curl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl.easy_getinfo(handle, info, value);
}
CURLcode crashfwd_curl_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl.easy_getinfo(handle, info, value);
}
