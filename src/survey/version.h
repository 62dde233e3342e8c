/*
 * version.h - ordering of vendor version strings.
 *
 * Vendors write versions as dotted numbers with letters and dashes mixed in:
 * OpenSSH "7.2p2", Pulse/Ivanti "9.1R1" or "9.0R3.4", Citrix "13.0-47.22",
 * dropbear "2019.78", PAN-OS "10.2.9-h1", FortiOS "6.0.4". version_cmp()
 * orders them the way their vendors mean, by splitting each string into
 * tokens and comparing token by token:
 *
 *   - a token is a maximal run of digits (a number) or of letters (a word);
 *     every other byte ('.', '-', '_', '+', ' ', ...) only separates tokens;
 *   - numbers compare numerically (leading zeros ignored, any length);
 *   - words compare case-insensitively as strings ("R" == "r");
 *   - a number sorts after a word at the same position ("1.0.1" > "1.0a");
 *   - when one string runs out of tokens, it is the smaller one ("7.2" <
 *     "7.2p2", "10.2.9" < "10.2.9-h1", "9.0R3" < "9.0R3.4"), except that a
 *     remaining word that marks a pre-release ("alpha", "beta", "rc", "pre",
 *     "dev", "snapshot") makes the longer string the smaller one
 *     ("1.0rc1" < "1.0").
 *
 * Hence "13.0-47.22" == "13.0.47.22": Citrix's dash and NVD's dot agree.
 * Cost: O(len(a) + len(b)), no allocation. NULL sorts before everything.
 */
#ifndef MAMORI_SURVEY_VERSION_H
#define MAMORI_SURVEY_VERSION_H

/* Returns <0, 0 or >0 as `a` orders before, equal to or after `b`.
 * NULL-safe: NULL equals NULL and orders before any string. */
int	version_cmp(const char *a, const char *b);

#endif
