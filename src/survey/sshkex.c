/*
 * sshkex.c - the server's SSH_MSG_KEXINIT (see sshkex.h for the format and
 * the caps). Stateless: the caller keeps the bytes; each call re-reads them
 * from the start, O(n). Nothing here allocates, prints or exits.
 */
#include <stdio.h>
#include <string.h>

#include "core/cursor.h"
#include "survey/sshkex.h"

#define SSH_MSG_IGNORE		2
#define SSH_MSG_DEBUG		4
#define SSH_MSG_KEXINIT		20

static const char *const sshkex_names[SSHKEX_NLISTS] = {
	"kex_algorithms", "server_host_key_algorithms",
	"encryption_algorithms_client_to_server",
	"encryption_algorithms_server_to_client",
	"mac_algorithms_client_to_server", "mac_algorithms_server_to_client",
	"compression_algorithms_client_to_server",
	"compression_algorithms_server_to_client",
	"languages_client_to_server", "languages_server_to_client"
};

/* A name-list (RFC 4251 section 5): printable US-ASCII without NUL or
 * whitespace. Empty names (",," or a trailing comma) are not allowed by
 * the RFC but are tolerated: libssh 0.10's server sends its cipher list
 * with a trailing comma. */
static int
sshkex_list_ok(const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return 0;
	return 1;
}

static int
sshkex_payload(struct cursor *c, struct sshkex *k, struct mm_diag *d)
{
	struct cursor sub;
	uint32_t l;
	uint8_t b;
	size_t i;

	if (cur_skip(c, 16) != 0)
		return mm_diag_set(d, MM_EFORMAT, "ssh: RFC 4253 7.1: "
		    "KEXINIT cookie truncated");
	for (i = 0; i < SSHKEX_NLISTS; i++) {
		if (get_u32(c, &l) != 0)
			return mm_diag_set(d, MM_EFORMAT, "ssh: RFC 4253 7.1: "
			    "KEXINIT %s: length truncated", sshkex_names[i]);
		if (l > SSHKEX_LIST_MAX)
			return mm_diag_set(d, MM_ELIMIT, "ssh: RFC 4253 7.1: "
			    "KEXINIT %s: %u bytes over %d", sshkex_names[i],
			    l, SSHKEX_LIST_MAX);
		if (get_sub(c, l, &sub) != 0)
			return mm_diag_set(d, MM_EFORMAT, "ssh: RFC 4253 7.1: "
			    "KEXINIT %s: %u bytes beyond the packet",
			    sshkex_names[i], l);
		if (!sshkex_list_ok(cur_ptr(&sub), l))
			return mm_diag_set(d, MM_EFORMAT, "ssh: RFC 4251 5: "
			    "KEXINIT %s: not a name-list", sshkex_names[i]);
		k->list[i] = (const char *)cur_ptr(&sub);
		k->len[i] = l;
	}
	if (get_u8(c, &b) != 0 || get_u32(c, &l) != 0)
		return mm_diag_set(d, MM_EFORMAT, "ssh: RFC 4253 7.1: KEXINIT "
		    "first_kex_packet_follows or reserved field truncated");
	k->first_follows = b != 0;
	return 0;
}

int
sshkex_parse(const uint8_t *p, size_t n, struct sshkex *k, size_t *need,
    struct mm_diag *d)
{
	struct cursor c, pkt;
	uint32_t plen;
	uint8_t pad, type;
	unsigned skipped = 0;
	size_t off = 0;
	int rc;

	memset(k, 0, sizeof(*k));
	if (need != NULL)
		*need = 0;
	for (;;) {
		cur_init(&c, p + off, n - off);
		if (get_u32(&c, &plen) != 0)
			return SSHKEX_MORE;
		/* RFC 4253 6: a multiple of 8 with length fields, >= 16 */
		if (plen < 12 || plen > SSHKEX_PACKET_MAX)
			return mm_diag_set(d, plen < 12 ? MM_EFORMAT :
			    MM_ELIMIT, "ssh: RFC 4253 6: packet_length %u "
			    "out of range (12..%d)", plen, SSHKEX_PACKET_MAX);
		if (need != NULL)
			*need = off + 4 + (size_t)plen;
		if (get_sub(&c, plen, &pkt) != 0)
			return SSHKEX_MORE;
		if (get_u8(&pkt, &pad) != 0 || pad < 4 || (size_t)pad + 1 >
		    plen)
			return mm_diag_set(d, MM_EFORMAT, "ssh: RFC 4253 6: "
			    "padding_length %u bad for packet_length %u", pad,
			    plen);
		/* the payload: what is left without the padding */
		cur_init(&pkt, cur_ptr(&pkt), plen - 1 - pad);
		if (get_u8(&pkt, &type) != 0)
			return mm_diag_set(d, MM_EFORMAT, "ssh: RFC 4253 6: "
			    "empty payload");
		if (type == SSH_MSG_KEXINIT) {
			if ((rc = sshkex_payload(&pkt, k, d)) != 0)
				return rc;
			k->used = off + 4 + plen;
			return SSHKEX_DONE;
		}
		if ((type != SSH_MSG_IGNORE && type != SSH_MSG_DEBUG) ||
		    ++skipped > SSHKEX_MAX_SKIP)
			return mm_diag_set(d, MM_EFORMAT, "ssh: RFC 4253 7.1: "
			    "message %u where KEXINIT (20) was expected",
			    type);
		off += 4 + (size_t)plen;
	}
}

/* The key type of one host key algorithm name. */
static void
sshkex_type(const char *s, size_t n, char *buf, size_t cap)
{
	static const struct {
		const char	*alg;
		const char	*type;
	} map[] = {
		{ "ssh-rsa", "rsa" }, { "rsa-sha2-256", "rsa" },
		{ "rsa-sha2-512", "rsa" }, { "ssh-dss", "dsa" },
		{ "ssh-ed25519", "ed25519" }, { "ssh-ed448", "ed448" },
		{ "ecdsa-sha2-nistp256", "ecdsa-p256" },
		{ "ecdsa-sha2-nistp384", "ecdsa-p384" },
		{ "ecdsa-sha2-nistp521", "ecdsa-p521" },
		{ "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa" },
		{ "sk-ssh-ed25519@openssh.com", "sk-ed25519" },
	};
	static const char cert[] = "-cert-v01@openssh.com";
	size_t i, cl = sizeof(cert) - 1, base = n;
	int is_cert = 0;

	if (n > cl && memcmp(s + n - cl, cert, cl) == 0) {
		is_cert = 1;
		base = n - cl;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t al = strlen(map[i].alg);

		/* certificates name the key's algorithm before the suffix:
		 * ssh-rsa-cert-v01@openssh.com, ssh-ed25519-cert-... */
		if (is_cert && strncmp(map[i].alg, "sk-", 3) == 0) {
			const char *at = strchr(map[i].alg, '@');

			al = (size_t)(at - map[i].alg);
		}
		if (al == base && memcmp(s, map[i].alg, al) == 0) {
			snprintf(buf, cap, "%s%s", is_cert ? "cert-" : "",
			    map[i].type);
			return;
		}
	}
	snprintf(buf, cap, "%.*s", (int)(n < 200 ? n : 200), s);
}

char *
sshkex_key_types(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0, i = 0;

	out[0] = '\0';
	while (i < len) {
		const char *e = memchr(s + i, ',', len - i);
		size_t n = e != NULL ? (size_t)(e - (s + i)) : len - i;
		char t[256];
		size_t tl;
		const char *hit;

		if (n == 0) {		/* an empty name (tolerated) */
			i++;
			continue;
		}
		sshkex_type(s + i, n, t, sizeof(t));
		if ((tl = strlen(t)) == 0) {
			i += n + 1;
			continue;
		}
		/* once each: look for ",t," in ",out," */
		hit = out;
		while ((hit = strstr(hit, t)) != NULL) {
			if ((hit == out || hit[-1] == ',') &&
			    (hit[tl] == ',' || hit[tl] == '\0'))
				break;
			hit++;
		}
		if (hit == NULL) {
			if (o + (o > 0) + tl + 1 > cap)
				break;
			if (o > 0)
				out[o++] = ',';
			memcpy(out + o, t, tl + 1);
			o += tl;
		}
		i += n + 1;
	}
	return out;
}
