/*
 * units.c - parsing of human-readable quantities. One strtoull() and a
 * suffix check; no locale, no floating point, O(length), no state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/units.h"

int
units_parse_size(const char *s, uint64_t *v)
{
	char			*end;
	unsigned long long	 n;
	unsigned		 shift = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return MM_ESYNTAX;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0)
		return MM_ERANGE;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	default:
		return MM_ESYNTAX;
	}
	if (*end != '\0') {
		end++;
		if (strcmp(end, "") != 0 && strcmp(end, "B") != 0 &&
		    strcmp(end, "iB") != 0 && strcmp(end, "b") != 0 &&
		    strcmp(end, "ib") != 0)
			return MM_ESYNTAX;
	}
	if (shift > 0 && n > (UINT64_MAX >> shift))
		return MM_ERANGE;
	*v = (uint64_t)n << shift;
	return 0;
}
