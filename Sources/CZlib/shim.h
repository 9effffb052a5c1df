// zlib, for gzip-compressing log excerpts before they are attached.
#include <zlib.h>
