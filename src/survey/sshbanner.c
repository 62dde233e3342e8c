/*
 * sshbanner.c - SSH identification string parser (RFC 4253 section 4.2).
 *
 * Approach: a byte-at-a-time line assembler over a bounds-checked cursor.
 * Each byte is appended to a fixed 256-byte line buffer; at LF the line is
 * examined: lines not starting with "SSH-" are counted and dropped, the first
 * "SSH-" line is split into protoversion, softwareversion and comments.
 * Cost: O(n) in bytes fed, O(1) memory (the struct, about 1.3 KiB), no
 * allocation. Bounds: 255 bytes for the identification line, SSHB_MAX_PRELINES
 * lines and max_total bytes overall.
 */
#include <string.h>

#include "core/cursor.h"
#include "core/err.h"
#include "survey/sshbanner.h"

void
sshbanner_init(struct sshbanner *b, size_t max_total)
{
	memset(b, 0, sizeof(*b));
	b->max_total = max_total ? max_total : SSHB_DEFAULT_TOTAL;
}

static void
copy_trunc(char *dst, size_t cap, const char *src, size_t len)
{
	if (cap == 0)
		return;
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

void
sshbanner_split(const char *sw, char *product, size_t pcap, char *version,
    size_t vcap)
{
	size_t len = strlen(sw), i, cut = len, skip = 0;

	for (i = 0; i < len; i++)
		if (sw[i] == '_') {
			cut = i;
			skip = 1;
			break;
		}
	if (cut == len) {
		/* "Cisco-1.25", "libssh-0.6.0": a '-' followed by a digit */
		for (i = 0; i + 1 < len; i++)
			if (sw[i] == '-' && sw[i + 1] >= '0' &&
			    sw[i + 1] <= '9') {
				cut = i;
				skip = 1;
				break;
			}
	}
	copy_trunc(product, pcap, sw, cut);
	if (cut + skip <= len)
		copy_trunc(version, vcap, sw + cut + skip, len - cut - skip);
	else
		copy_trunc(version, vcap, "", 0);
}

int
sshbanner_parse_line(struct sshbanner *b, const char *line, size_t len,
    struct mm_diag *d)
{
	size_t i, pend, send;

	if (len < 4 || memcmp(line, "SSH-", 4) != 0)
		return mm_diag_set(d, MM_EFORMAT,
		    "ssh: RFC 4253 4.2: identification does not start with SSH-");
	if (len > SSHB_LINE_MAX - 2)
		return mm_diag_set(d, MM_EFORMAT,
		    "ssh: RFC 4253 4.2: identification longer than 255 bytes");
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];
		if (ch == '\0' || ch == '\n' || ch == '\r')
			return mm_diag_set(d, MM_EFORMAT,
			    "ssh: RFC 4253 4.2: control byte 0x%02x in "
			    "identification at %zu", ch, i);
	}
	for (pend = 4; pend < len && line[pend] != '-' && line[pend] != ' ';
	    pend++)
		;
	if (pend == 4 || pend >= len || line[pend] != '-' || pend - 4 >=
	    sizeof(b->proto))
		return mm_diag_set(d, MM_EFORMAT,
		    "ssh: RFC 4253 4.2: bad protoversion field");
	for (send = pend + 1; send < len && line[send] != ' '; send++)
		;
	if (send == pend + 1)
		return mm_diag_set(d, MM_EFORMAT,
		    "ssh: RFC 4253 4.2: empty softwareversion field");
	copy_trunc(b->line, sizeof(b->line), line, len);
	copy_trunc(b->proto, sizeof(b->proto), line + 4, pend - 4);
	copy_trunc(b->software, sizeof(b->software), line + pend + 1,
	    send - pend - 1);
	if (send < len)
		copy_trunc(b->comments, sizeof(b->comments), line + send + 1,
		    len - send - 1);
	else
		b->comments[0] = '\0';
	sshbanner_split(b->software, b->product, sizeof(b->product),
	    b->version, sizeof(b->version));
	return 0;
}

int
sshbanner_feed(struct sshbanner *b, const uint8_t *in, size_t n,
    size_t *consumed, struct mm_diag *d)
{
	struct cursor c;
	uint8_t ch;
	size_t len;
	int rc = SSHB_MORE;

	if (consumed)
		*consumed = 0;
	if (b->done)
		return b->done > 0 ? SSHB_DONE : b->done;
	cur_init(&c, in, n);
	while (get_u8(&c, &ch) == 0) {
		b->total++;
		if (b->total > b->max_total) {
			rc = mm_diag_set(d, MM_ELIMIT,
			    "ssh: banner exceeds %zu bytes before "
			    "identification", b->max_total);
			goto out;
		}
		if (ch != '\n') {
			b->curseen++;
			if (b->curlen < SSHB_LINE_MAX)
				b->cur[b->curlen++] = (char)ch;
			if (b->curseen > SSHB_LINE_MAX && b->curlen >= 4 &&
			    memcmp(b->cur, "SSH-", 4) == 0) {
				rc = mm_diag_set(d, MM_EFORMAT,
				    "ssh: RFC 4253 4.2: identification longer "
				    "than 255 bytes");
				goto out;
			}
			continue;
		}
		len = b->curlen;
		if (len > 0 && b->cur[len - 1] == '\r')
			len--;
		if (len >= 4 && memcmp(b->cur, "SSH-", 4) == 0) {
			rc = sshbanner_parse_line(b, b->cur, len, d);
			if (rc == 0)
				rc = SSHB_DONE;
			goto out;
		}
		if (++b->prelines > SSHB_MAX_PRELINES) {
			rc = mm_diag_set(d, MM_ELIMIT,
			    "ssh: more than %d lines before identification",
			    SSHB_MAX_PRELINES);
			goto out;
		}
		b->curlen = b->curseen = 0;
	}
 out:
	if (consumed)
		*consumed = c.off;
	if (rc != SSHB_MORE)
		b->done = rc;
	return rc;
}
