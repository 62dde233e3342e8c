/*
 * sshbanner.h - incremental parser of the SSH identification string
 * (RFC 4253 section 4.2) a server sends first.
 *
 * The server may send other lines first (none beginning "SSH-"); then
 *   SSH-protoversion-softwareversion [SP comments] CR LF
 * at most 255 bytes including CR LF. The parser is fed bytes as they
 * arrive (a slow drip of one byte at a time is fine), keeps one line of at
 * most SSHB_LINE_MAX bytes in the struct (no allocation at all), and stops at
 * the identification line. Lines before it may be any length (overflow is
 * discarded), but everything is bounded by `max_total` bytes and
 * SSHB_MAX_PRELINES lines: past either the feed fails with MM_ELIMIT, so an
 * endless banner costs the caller only max_total bytes. NUL inside the
 * identification line, a line over 255 bytes or a malformed "SSH-" line is
 * MM_EFORMAT with a diag naming the field.
 *
 * The software version is split into product and version for fingerprinting:
 * "OpenSSH_8.9p1" -> OpenSSH / 8.9p1, "dropbear_2019.78" -> dropbear /
 * 2019.78, "Cisco-1.25" -> Cisco / 1.25, "ROSSSH" -> ROSSSH / "".
 */
#ifndef MAMORI_SURVEY_SSHBANNER_H
#define MAMORI_SURVEY_SSHBANNER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define SSHB_LINE_MAX		255	/* RFC 4253 4.2, including CR LF */
#define SSHB_MAX_PRELINES	64
#define SSHB_DEFAULT_TOTAL	8192

#define SSHB_MORE	0	/* need more input */
#define SSHB_DONE	1	/* identification line parsed */

struct sshbanner {
	/* results, NUL-terminated, valid after SSHB_DONE */
	char	 line[SSHB_LINE_MAX + 1];	/* the SSH- line without CR LF */
	char	 proto[16];			/* "2.0", "1.99" */
	char	 software[SSHB_LINE_MAX + 1];	/* "OpenSSH_8.9p1" */
	char	 product[64];			/* "OpenSSH" */
	char	 version[64];			/* "8.9p1" */
	char	 comments[SSHB_LINE_MAX + 1];	/* after the first SP */
	size_t	 prelines;			/* lines before the SSH- line */
	size_t	 total;				/* bytes consumed so far */
	/* private state */
	char	 cur[SSHB_LINE_MAX + 1];
	size_t	 curlen;
	size_t	 curseen;	/* bytes of the current line, incl. dropped */
	size_t	 max_total;
	int	 done;
};

/* Initialises `b`; max_total 0 means SSHB_DEFAULT_TOTAL. Never fails. */
void	sshbanner_init(struct sshbanner *b, size_t max_total);

/* Feeds `n` bytes. Returns SSHB_MORE (all consumed, need more), SSHB_DONE
 * (identification parsed; *consumed tells how many of these bytes were used,
 * the rest belong to the binary protocol), or MM_EFORMAT/MM_ELIMIT with `d`
 * naming the field. After SSHB_DONE or an error further feeds return the
 * same status and consume nothing. `consumed` and `d` may be NULL. */
int	sshbanner_feed(struct sshbanner *b, const uint8_t *in, size_t n,
	    size_t *consumed, struct mm_diag *d);

/* Parses one identification line (without CR LF, `len` bytes, not
 * NUL-terminated) into b's result fields. Returns 0 or MM_EFORMAT. Used by
 * sshbanner_feed; also useful on stored banners. */
int	sshbanner_parse_line(struct sshbanner *b, const char *line, size_t len,
	    struct mm_diag *d);

/* Splits a software version ("OpenSSH_8.9p1") into product and version,
 * each truncated to its capacity and NUL-terminated. Never fails. */
void	sshbanner_split(const char *sw, char *product, size_t pcap,
	    char *version, size_t vcap);

#endif
