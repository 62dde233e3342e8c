/*
 * tmpl.h - the notification template language: plain text with
 * {{variables}}, {{#sections}} and padding for fixed-width tables.
 *
 * Syntax (UTF-8 text; see docs/notify-formats.md):
 *
 *	{{name}}	the value of variable `name`; a name is 1..64 of
 *			[A-Za-z0-9_.-]
 *	{{name:N}}	the value padded with spaces to N display columns
 *			(East Asian wide characters count 2), left-aligned
 *	{{name:>N}}	the same, right-aligned (numbers)
 *	{{#name}}..{{/name}}	a section: when `name` is a list, the body
 *			is rendered once per row with the row's variables in
 *			scope (outer variables stay visible); when it is a
 *			string, the body is rendered once if the string is not
 *			empty
 *	{{^name}}..{{/name}}	inverted: rendered once when the list has no
 *			rows or the string is empty
 *	{{! text }}	a comment
 *
 * A line holding nothing but one section, close or comment tag (and
 * blanks) is dropped whole, newline included, so templates can put tags on
 * lines of their own. There is no escaping: the output is plain text.
 *
 * Missing data is an error, never silently empty: a variable or section
 * name that is not set anywhere in the scope chain fails the render with
 * MM_ENOENT naming the template, line and variable. Declare an empty list
 * with tmpl_vars_list() when "no rows" is meant.
 *
 * A mail template file (data/notify/templates/LANG.txt) is a subject line
 * "Subject: TEMPLATE", one empty line, then the body template.
 *
 * Costs and caps: parsing is one pass, O(template); a template is at most
 * TMPL_MAX_SIZE bytes with at most TMPL_MAX_NODES tags and nesting depth
 * TMPL_MAX_DEPTH. Rendering is O(output) plus a linear name lookup per tag
 * (scopes are small); output is capped at TMPL_OUT_MAX bytes (MM_ELIMIT).
 * Variable lookups walk the scope chain (row -> parent -> ... -> root).
 * Nothing here prints or touches the network.
 */
#ifndef MAMORI_NOTIFY_TMPL_H
#define MAMORI_NOTIFY_TMPL_H

#include <stddef.h>

#include "core/err.h"

#define TMPL_MAX_SIZE	(256 * 1024)
#define TMPL_MAX_NODES	8192
#define TMPL_MAX_DEPTH	16
#define TMPL_NAME_MAX	64
#define TMPL_PAD_MAX	200
#define TMPL_OUT_MAX	(4 * 1024 * 1024)
#define TMPL_VALUE_MAX	(256 * 1024)

struct tmpl;
struct tmpl_vars;

/* A parsed mail template: subject (one line) and body. */
struct tmpl_mail {
	struct tmpl	*subject;
	struct tmpl	*body;
};

/*
 * Parses `len` bytes of `text` (need not be NUL-terminated). `name` (may be
 * NULL) names the template in diagnostics. Returns 0 with *out set (free
 * with tmpl_free()), or MM_ESYNTAX (unclosed tag or section, mismatched
 * close, bad name or width), MM_ELIMIT (over a cap), MM_EFORMAT (not
 * UTF-8), MM_ENOMEM; `d` then says "NAME:LINE: ...".
 */
int	tmpl_parse(const char *text, size_t len, const char *name,
	    struct tmpl **out, struct mm_diag *d);
/* Frees a parsed template; NULL-safe. */
void	tmpl_free(struct tmpl *t);

/*
 * Renders `t` with variables `v` into a new NUL-terminated buffer *out
 * (caller frees) of *len bytes. Returns 0, MM_ENOENT (a variable or section
 * is not set), MM_EINVAL (a list used as a value), MM_ELIMIT (output over
 * TMPL_OUT_MAX), MM_ENOMEM; *out is NULL on error.
 */
int	tmpl_render(const struct tmpl *t, const struct tmpl_vars *v,
	    char **out, size_t *len, struct mm_diag *d);

/*
 * Parses a mail template file's text: "Subject: ..." line, empty line,
 * body. Returns 0 with both templates set in *m (free with
 * tmpl_mail_free()), or the tmpl_parse() errors (MM_ESYNTAX when the
 * subject line or the empty line is missing).
 */
int	tmpl_mail_parse(const char *text, size_t len, const char *name,
	    struct tmpl_mail *m, struct mm_diag *d);
/* Reads and parses the file at `path` (at most TMPL_MAX_SIZE bytes).
 * Returns 0, MM_EIO, MM_ELIMIT or the tmpl_mail_parse() errors. */
int	tmpl_mail_load(const char *path, struct tmpl_mail *m,
	    struct mm_diag *d);
/* Frees both templates and zeroes *m; NULL-safe. */
void	tmpl_mail_free(struct tmpl_mail *m);

/*
 * Renders subject and body. The subject must render to one line: CR or LF
 * in it is MM_EINVAL. *subject and *body are malloc'd (caller frees);
 * both NULL on error.
 */
int	tmpl_mail_render(const struct tmpl_mail *m, const struct tmpl_vars *v,
	    char **subject, char **body, size_t *body_len, struct mm_diag *d);

/* A new empty root scope, or NULL (out of memory). */
struct tmpl_vars *tmpl_vars_new(void);
/* Frees a root scope and everything under it; NULL-safe. Rows returned by
 * tmpl_vars_row() belong to their root and must not be freed alone. */
void	tmpl_vars_free(struct tmpl_vars *v);
/*
 * Sets string variable `name` in scope `v` to a copy of `value` (replacing
 * an earlier value). Returns 0, MM_EINVAL (bad name, NULL value, value
 * over TMPL_VALUE_MAX, or `name` is a list), MM_ENOMEM.
 */
int	tmpl_vars_set(struct tmpl_vars *v, const char *name,
	    const char *value);
/* printf-style tmpl_vars_set(). */
int	tmpl_vars_setf(struct tmpl_vars *v, const char *name,
	    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Declares list `name` in `v` (no rows yet); no-op when it exists.
 * Returns 0, MM_EINVAL (bad name, or `name` is a string), MM_ENOMEM. */
int	tmpl_vars_list(struct tmpl_vars *v, const char *name);
/*
 * Appends a row to list `name` in `v` (declaring it) and returns the row's
 * scope (owned by `v`'s root; its parent is `v`), or NULL on a bad name,
 * a name that is a string, or out of memory.
 */
struct tmpl_vars *tmpl_vars_row(struct tmpl_vars *v, const char *name);
/* The string value of `name` looked up through the scope chain, or NULL. */
const char *tmpl_vars_get(const struct tmpl_vars *v, const char *name);

/* Display columns of UTF-8 `s` (wide East Asian characters count 2;
 * invalid bytes count 1). */
size_t	tmpl_text_width(const char *s, size_t len);

#endif
