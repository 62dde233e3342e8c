/*
 * units.h - human-readable quantities on the command line and in config:
 * byte sizes with binary multiples ("64K", "32MiB", "2G", "1T").
 */
#ifndef MAMORI_CORE_UNITS_H
#define MAMORI_CORE_UNITS_H

#include <stdint.h>

/*
 * Parses a decimal byte count with an optional binary multiple: K, M, G or
 * T (either case; 1024, 1024^2, ...), optionally followed by "B", "iB",
 * "b" or "ib" ("64K", "32MiB", "1mb"). A bare number may not carry a "B".
 * Sign, space, fraction or anything after the suffix is an error. Returns
 * 0 and sets *v, MM_ESYNTAX (NULL or malformed `s`; *v untouched) or
 * MM_ERANGE (does not fit in 64 bits). `v` may not be NULL. O(strlen(s)).
 */
int	units_parse_size(const char *s, uint64_t *v);

#endif
