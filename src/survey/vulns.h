/*
 * vulns.h - vulnerable-version data: CPE vendor:product + version ranges
 * -> CVE, CVSS v3 base score, CISA KEV flag.
 *
 * Data files (data/vulns/NAME.vulns, see mamori-fingerprints(5)) hold one
 * entry per line, whitespace-separated:
 *
 *   CVE-ID  VENDOR:PRODUCT[,VENDOR:PRODUCT...]  CVSS  kev|-  RANGE...
 *
 * RANGE is interval notation over version_cmp() order: "[a,b]" (both
 * inclusive), "[a,b)" (b is the first fixed version), "(a,b]", "(a,b)",
 * an open end written empty ("[,4.4p1)" or "[8.5p1,)"), or "=a" (exactly
 * a). An entry matches when the product matches (case-insensitive) and the
 * version lies in any of its ranges. '#' starts a comment.
 */
#ifndef MAMORI_SURVEY_VULNS_H
#define MAMORI_SURVEY_VULNS_H

#include <stddef.h>

#include "core/err.h"

#define VULNS_MAX_ENTRIES	16384
#define VULNS_MAX_RANGES	24	/* ranges per entry */
#define VULNS_MAX_PRODUCTS	4	/* vendor:product aliases per entry */
#define VULNS_MAX_LINE		2048
#define VULNS_VER_LEN		40
#define VULNS_VP_LEN		96

/* One match; the strings are owned by `struct vulns`. */
struct vulns_hit {
	const char	*cve;		/* "CVE-2018-13379" */
	const char	*vp;		/* "fortinet:fortios" as in the data */
	double		 cvss;		/* CVSS v3 base score, 0.0..10.0 */
	int		 kev;		/* 1: in CISA KEV */
	const char	*file;		/* where the entry is */
	int		 line;
};

struct vulns;

/* Loads `path`, a .vulns file or a directory of them (name order), into a
 * new set in *out. Returns 0, MM_EIO, MM_ESYNTAX, MM_ELIMIT or MM_ENOMEM
 * with "file:line: field: reason" in `d`; *out is NULL on error. */
int	vulns_load(struct vulns **out, const char *path, struct mm_diag *d);

/* As vulns_load for a text buffer (`name` in messages); tests, fuzzing. */
int	vulns_load_buf(struct vulns **out, const char *name, const char *buf,
	    size_t len, struct mm_diag *d);

/* Frees `v`; NULL-safe. */
void	vulns_free(struct vulns *v);

/* Number of entries; NULL-safe. */
size_t	vulns_count(const struct vulns *v);

/* Finds the entries affecting `product` at `version`. `product` is
 * "vendor:product" or a CPE 2.3 string ("cpe:2.3:o:fortinet:fortios:6.0.4:
 * *:..."); `version` may be NULL or "" to take the CPE's version field.
 * An unknown version ("", "*", "-") matches nothing. Fills hits[0..max)
 * in file order and returns the number of matches (may exceed `max`), or
 * MM_EINVAL. NULL `v` matches nothing. */
int	vulns_match(const struct vulns *v, const char *product,
	    const char *version, struct vulns_hit *hits, size_t max);

#endif
