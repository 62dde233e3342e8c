/*
 * perm.c - cyclic-group target permutation; see perm.h for the approach.
 *
 * Arithmetic is plain C11 on uint64_t: p < 2^49 (PERM_MAX_N is 2^48 and there
 * is always a prime below 2N), so a product is reduced in 14-bit chunks
 * (r * 2^14 and a * chunk both stay below 2^63): mulmod costs at most eight
 * divisions, and when p < 2^32 a single one. Primality is deterministic
 * Miller-Rabin with the first twelve prime bases (exact far beyond 2^64).
 * p - 1 is factored by trial division, stopping as soon as the cofactor is
 * prime. The state file is a few key=value lines read through the cursor.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "survey/perm.h"

#define MAXFACT	64

static uint64_t
mulmod(uint64_t a, uint64_t b, uint64_t m)
{
	uint64_t r = 0;
	int sh;

	if (m <= UINT32_MAX)
		return (a % m) * (b % m) % m;
	a %= m;
	b %= m;
	for (sh = 42; sh >= 0; sh -= 14) {
		r = (r << 14) % m;
		r = (r + a * ((b >> sh) & 0x3fff)) % m;
	}
	return r;
}

static uint64_t
powmod(uint64_t b, uint64_t e, uint64_t m)
{
	uint64_t r = 1 % m;

	b %= m;
	while (e > 0) {
		if (e & 1)
			r = mulmod(r, b, m);
		b = mulmod(b, b, m);
		e >>= 1;
	}
	return r;
}

static int
is_prime(uint64_t n)
{
	static const uint64_t bases[] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29,
	    31, 37 };
	uint64_t d, x;
	unsigned i, r, s;

	if (n < 2)
		return 0;
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (n == bases[i])
			return 1;
		if (n % bases[i] == 0)
			return 0;
	}
	for (d = n - 1, s = 0; (d & 1) == 0; d >>= 1)
		s++;
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		x = powmod(bases[i], d, n);
		if (x == 1 || x == n - 1)
			continue;
		for (r = 1; r < s; r++) {
			x = mulmod(x, x, n);
			if (x == n - 1)
				break;
		}
		if (r == s)
			return 0;
	}
	return 1;
}

/* Distinct prime factors of m (> 1) into f; returns their count. */
static size_t
factor(uint64_t m, uint64_t f[MAXFACT])
{
	uint64_t q;
	size_t n = 0;

	for (q = 2; m > 1 && q <= m / q; q += (q == 2 ? 1 : 2)) {
		if (m % q != 0)
			continue;
		f[n++] = q;
		while (m % q == 0)
			m /= q;
		if (m > 1 && is_prime(m))
			break;
	}
	if (m > 1)
		f[n++] = m;
	return n;
}

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

int
perm_init(struct perm *p, uint64_t n_targets, uint64_t seed,
    uint32_t shard_i, uint32_t shard_n)
{
	uint64_t f[MAXFACT], q, g, st = seed, total;
	size_t nf, i;

	if (p == NULL || shard_n == 0 || shard_n > PERM_MAX_SHARDS ||
	    shard_i >= shard_n)
		return MM_EINVAL;
	if (n_targets > PERM_MAX_N)
		return MM_ELIMIT;
	memset(p, 0, sizeof(*p));
	p->n = n_targets;
	p->seed = seed;
	p->shard_i = shard_i;
	p->shard_n = shard_n;
	for (q = n_targets + 1; !is_prime(q); q++)
		;
	p->p = q;
	if (q == 2)
		g = 1;
	else {
		nf = factor(q - 1, f);
		g = 2 + splitmix(&st) % (q - 2);	/* 2..q-1 */
		for (;;) {
			for (i = 0; i < nf; i++)
				if (powmod(g, (q - 1) / f[i], q) == 1)
					break;
			if (i == nf)
				break;
			g = g + 1 < q ? g + 1 : 2;
		}
	}
	p->g = g;
	p->step = powmod(g, shard_n, q);
	p->first = 1 + splitmix(&st) % (q - 1);
	total = q - 1;
	p->npos = shard_i < total ? (total - 1 - shard_i) / shard_n + 1 : 0;
	return perm_seek(p, 0, 0);
}

int
perm_seek(struct perm *p, uint64_t pos, uint64_t count)
{
	if (p == NULL || pos > p->npos || count > pos || count > p->n)
		return MM_ERANGE;
	p->pos = pos;
	p->count = count;
	p->cur = mulmod(p->first, powmod(p->g,
	    (p->shard_i + pos * p->shard_n) % (p->p - 1), p->p), p->p);
	return 0;
}

int
perm_next(struct perm *p, uint64_t *index)
{
	uint64_t e;

	while (p->pos < p->npos) {
		e = p->cur;
		p->pos++;
		p->cur = mulmod(p->cur, p->step, p->p);
		if (e <= p->n) {
			*index = e - 1;
			p->count++;
			return 1;
		}
	}
	return 0;
}

int
perm_state_fmt(const struct perm *p, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "mamori-perm 1\nseed=%llu\nshard=%u/%u\n"
	    "targets=%llu\nposition=%llu\ncount=%llu\n",
	    (unsigned long long)p->seed, p->shard_i, p->shard_n,
	    (unsigned long long)p->n, (unsigned long long)p->pos,
	    (unsigned long long)p->count);
	if (n < 0 || (size_t)n >= len)
		return MM_ELIMIT;
	return n;
}

/* Strict decimal u64: digits only, no overflow. */
static int
dec_u64(const char *s, uint64_t *v)
{
	uint64_t n = 0;

	if (*s == '\0')
		return MM_ESYNTAX;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return MM_ESYNTAX;
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return MM_ERANGE;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*v = n;
	return 0;
}

enum { K_SEED, K_SHARD, K_TARGETS, K_POS, K_COUNT, K_N };

int
perm_state_parse(struct perm *p, const char *name, const char *buf,
    size_t len, uint64_t n_targets, struct mm_diag *d)
{
	static const char *keys[K_N] = { "seed", "shard", "targets",
	    "position", "count" };
	struct cursor c;
	char line[128], *eq, *sl;
	const uint8_t *s, *nl;
	uint64_t val[K_N], si = 0, sn = 0;
	unsigned lineno = 0, seen = 0, k;
	size_t ll;
	int rc;

	if (name == NULL)
		name = "resume state";
	if (p == NULL || (buf == NULL && len > 0))
		return mm_diag_set(d, MM_EINVAL, "%s: bad call", name);
	if (len > PERM_STATE_MAX)
		return mm_diag_set(d, MM_ELIMIT, "%s: larger than %d bytes",
		    name, PERM_STATE_MAX);
	memset(val, 0, sizeof(val));
	cur_init(&c, buf, len);
	while (cur_left(&c) > 0) {
		lineno++;
		s = cur_ptr(&c);
		nl = memchr(s, '\n', cur_left(&c));
		ll = nl != NULL ? (size_t)(nl - s) : cur_left(&c);
		if (ll >= sizeof(line))
			return mm_diag_set(d, MM_ESYNTAX, "%s:%u: line too "
			    "long", name, lineno);
		(void)get_bytes(&c, line, ll);
		if (nl != NULL)
			(void)cur_skip(&c, 1);
		line[ll] = '\0';
		if (ll > 0 && line[ll - 1] == '\r')
			line[--ll] = '\0';
		if (memchr(line, '\0', ll) != NULL)
			return mm_diag_set(d, MM_ESYNTAX, "%s:%u: NUL byte",
			    name, lineno);
		if (lineno == 1) {
			if (strcmp(line, "mamori-perm 1") != 0)
				return mm_diag_set(d, MM_ESYNTAX, "%s:1: header: "
				    "want 'mamori-perm 1'", name);
			continue;
		}
		if (ll == 0)
			continue;
		if ((eq = strchr(line, '=')) == NULL)
			return mm_diag_set(d, MM_ESYNTAX, "%s:%u: want "
			    "key=value", name, lineno);
		*eq++ = '\0';
		for (k = 0; k < K_N; k++)
			if (strcmp(line, keys[k]) == 0)
				break;
		if (k == K_N)
			return mm_diag_set(d, MM_ESYNTAX, "%s:%u: unknown key "
			    "'%.20s'", name, lineno, line);
		if (seen & (1u << k))
			return mm_diag_set(d, MM_ESYNTAX, "%s:%u: %s: given "
			    "twice", name, lineno, keys[k]);
		seen |= 1u << k;
		if (k == K_SHARD) {
			if ((sl = strchr(eq, '/')) == NULL)
				return mm_diag_set(d, MM_ESYNTAX, "%s:%u: shard: "
				    "want I/N", name, lineno);
			*sl++ = '\0';
			if (dec_u64(eq, &si) != 0 || dec_u64(sl, &sn) != 0 ||
			    sn == 0 || sn > PERM_MAX_SHARDS || si >= sn)
				return mm_diag_set(d, MM_ESYNTAX, "%s:%u: shard: "
				    "bad I/N", name, lineno);
		} else if ((rc = dec_u64(eq, &val[k])) != 0)
			return mm_diag_set(d, rc, "%s:%u: %s: not a decimal "
			    "number", name, lineno, keys[k]);
	}
	if (lineno == 0)
		return mm_diag_set(d, MM_ESYNTAX, "%s: empty", name);
	for (k = 0; k < K_N; k++)
		if ((seen & (1u << k)) == 0)
			return mm_diag_set(d, MM_ESYNTAX, "%s: %s: missing",
			    name, keys[k]);
	if (val[K_TARGETS] != n_targets)
		return mm_diag_set(d, MM_EINVAL, "%s: targets: saved %llu, scope "
		    "now has %llu (scope or ports changed)", name,
		    (unsigned long long)val[K_TARGETS],
		    (unsigned long long)n_targets);
	if ((rc = perm_init(p, n_targets, val[K_SEED], (uint32_t)si,
	    (uint32_t)sn)) != 0)
		return mm_diag_set(d, rc, "%s: targets: %s", name,
		    mm_strerror(rc));
	if ((rc = perm_seek(p, val[K_POS], val[K_COUNT])) != 0)
		return mm_diag_set(d, rc, "%s: position/count: out of range",
		    name);
	return 0;
}

int
perm_state_save(const struct perm *p, const char *path, struct mm_diag *d)
{
	char buf[PERM_STATE_MAX], tmp[4096];
	FILE *f = NULL;
	int n, rc = 0;

	if (p == NULL || path == NULL)
		return mm_diag_set(d, MM_EINVAL, "perm: bad call");
	if ((n = perm_state_fmt(p, buf, sizeof(buf))) < 0)
		return mm_diag_set(d, n, "perm: state too long");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return mm_diag_set(d, MM_EINVAL, "%s: path too long", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		rc = mm_diag_set(d, MM_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fwrite(buf, 1, (size_t)n, f) != (size_t)n || fflush(f) != 0) {
		rc = mm_diag_set(d, MM_EIO, "%s: write: %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		rc = mm_diag_set(d, MM_EIO, "%s: close: %s", tmp,
		    strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) != 0)
		rc = mm_diag_set(d, MM_EIO, "%s: rename: %s", path,
		    strerror(errno));
 out:
	if (f != NULL)
		fclose(f);
	if (rc != 0)
		(void)remove(tmp);
	return rc;
}

int
perm_state_load(struct perm *p, const char *path, uint64_t n_targets,
    struct mm_diag *d)
{
	char buf[PERM_STATE_MAX + 1];
	FILE *f;
	size_t n;

	if (p == NULL || path == NULL)
		return mm_diag_set(d, MM_EINVAL, "perm: bad call");
	if ((f = fopen(path, "r")) == NULL)
		return mm_diag_set(d, MM_EIO, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf), f);
	if (ferror(f)) {
		fclose(f);
		return mm_diag_set(d, MM_EIO, "%s: read error", path);
	}
	fclose(f);
	return perm_state_parse(p, path, buf, n, n_targets, d);
}
