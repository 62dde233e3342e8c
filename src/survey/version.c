/*
 * version.c - token-wise version ordering; see version.h for the rules.
 *
 * Design: a tiny scanner returns the next token (number or word) of each
 * string as a (pointer, length, kind) triple without copying; numbers are
 * compared by stripping leading zeros, then by length, then bytewise, so
 * arbitrarily long digit runs (build numbers, dates) never overflow.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "version.h"

enum { TOK_END, TOK_NUM, TOK_WORD };

struct vtok {
	const char	*p;
	size_t		 n;
	int		 kind;
};

static const char *
vtok_next(const char *s, struct vtok *t)
{
	while (*s != '\0' && !isalnum((unsigned char)*s))
		s++;
	t->p = s;
	t->n = 0;
	if (*s == '\0') {
		t->kind = TOK_END;
		return s;
	}
	if (isdigit((unsigned char)*s)) {
		t->kind = TOK_NUM;
		while (isdigit((unsigned char)s[t->n]))
			t->n++;
	} else {
		t->kind = TOK_WORD;
		while (isalpha((unsigned char)s[t->n]))
			t->n++;
	}
	return s + t->n;
}

static int
num_cmp(const struct vtok *a, const struct vtok *b)
{
	const char	*pa = a->p, *pb = b->p;
	size_t		 na = a->n, nb = b->n;
	int		 c;

	while (na > 1 && *pa == '0') {
		pa++;
		na--;
	}
	while (nb > 1 && *pb == '0') {
		pb++;
		nb--;
	}
	if (na != nb)
		return na < nb ? -1 : 1;
	c = memcmp(pa, pb, na);
	return c < 0 ? -1 : c > 0;
}

static int
word_cmp(const struct vtok *a, const struct vtok *b)
{
	size_t	i, n = a->n < b->n ? a->n : b->n;
	int	ca, cb;

	for (i = 0; i < n; i++) {
		ca = tolower((unsigned char)a->p[i]);
		cb = tolower((unsigned char)b->p[i]);
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	return 0;
}

static int
is_prerelease(const struct vtok *t)
{
	static const char *const pre[] = {
		"alpha", "beta", "rc", "pre", "dev", "snapshot"
	};
	size_t	i;

	if (t->kind != TOK_WORD)
		return 0;
	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (strlen(pre[i]) == t->n &&
		    strncasecmp(pre[i], t->p, t->n) == 0)
			return 1;
	return 0;
}

int
version_cmp(const char *a, const char *b)
{
	struct vtok	ta, tb;
	int		c;

	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	for (;;) {
		a = vtok_next(a, &ta);
		b = vtok_next(b, &tb);
		if (ta.kind == TOK_END && tb.kind == TOK_END)
			return 0;
		if (ta.kind == TOK_END)
			return is_prerelease(&tb) ? 1 : -1;
		if (tb.kind == TOK_END)
			return is_prerelease(&ta) ? -1 : 1;
		if (ta.kind != tb.kind)
			return ta.kind == TOK_NUM ? 1 : -1;
		c = ta.kind == TOK_NUM ? num_cmp(&ta, &tb) : word_cmp(&ta, &tb);
		if (c != 0)
			return c;
	}
}
