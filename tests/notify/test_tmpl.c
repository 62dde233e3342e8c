/*
 * test_tmpl.c - the notification template language (src/notify/tmpl.h):
 * variables, sections, inverted sections, standalone tag lines, padding
 * by display width, errors for missing data and bad syntax, mail template
 * files (and that the shipped ja/en templates parse).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "notify/tmpl.h"

static char *
render(const char *src, const struct tmpl_vars *v, int *rc,
    struct mm_diag *d)
{
	struct tmpl *t = NULL;
	char *out = NULL;

	*rc = tmpl_parse(src, strlen(src), "t", &t, d);
	if (*rc != 0)
		return NULL;
	*rc = tmpl_render(t, v, &out, NULL, d);
	tmpl_free(t);
	return out;
}

static void
test_vars(void **state)
{
	struct tmpl_vars *v = tmpl_vars_new();
	struct mm_diag d;
	char *o;
	int rc;

	(void)state;
	assert_int_equal(tmpl_vars_set(v, "name", "mamori"), 0);
	assert_int_equal(tmpl_vars_setf(v, "n", "%d", 42), 0);
	o = render("Hello {{name}}, {{ n }}!", v, &rc, &d);
	assert_int_equal(rc, 0);
	assert_string_equal(o, "Hello mamori, 42!");
	free(o);
	/* replace */
	assert_int_equal(tmpl_vars_set(v, "name", "x"), 0);
	assert_string_equal(tmpl_vars_get(v, "name"), "x");
	/* bad names */
	assert_int_equal(tmpl_vars_set(v, "a b", "x"), MM_EINVAL);
	assert_int_equal(tmpl_vars_set(v, "", "x"), MM_EINVAL);
	assert_int_equal(tmpl_vars_set(v, "x", NULL), MM_EINVAL);
	/* missing variable is an error that names it */
	o = render("a {{nope}} b", v, &rc, &d);
	assert_null(o);
	assert_int_equal(rc, MM_ENOENT);
	assert_non_null(strstr(d.msg, "nope"));
	assert_non_null(strstr(d.msg, "t:1"));
	tmpl_vars_free(v);
}

static void
test_sections(void **state)
{
	struct tmpl_vars *v = tmpl_vars_new(), *r;
	struct mm_diag d;
	char *o;
	int rc;

	(void)state;
	tmpl_vars_set(v, "org", "ISP");
	tmpl_vars_set(v, "empty", "");
	tmpl_vars_list(v, "none");
	r = tmpl_vars_row(v, "rows");
	tmpl_vars_set(r, "a", "1");
	tmpl_vars_set(tmpl_vars_row(r, "sub"), "b", "x");
	tmpl_vars_set(tmpl_vars_row(r, "sub"), "b", "y");
	r = tmpl_vars_row(v, "rows");
	tmpl_vars_set(r, "a", "2");
	tmpl_vars_list(r, "sub");

	o = render("{{#rows}}[{{a}}:{{org}}{{#sub}}<{{b}}{{a}}>{{/sub}}]"
	    "{{/rows}}", v, &rc, &d);
	assert_int_equal(rc, 0);
	assert_string_equal(o, "[1:ISP<x1><y1>][2:ISP]");
	free(o);

	o = render("{{#none}}X{{/none}}{{^none}}no rows{{/none}}"
	    "{{#empty}}E{{/empty}}{{^empty}}blank{{/empty}}"
	    "{{#org}}have {{org}}{{/org}}", v, &rc, &d);
	assert_int_equal(rc, 0);
	assert_string_equal(o, "no rowsblankhave ISP");
	free(o);

	/* a list is not a value */
	o = render("{{rows}}", v, &rc, &d);
	assert_int_equal(rc, MM_EINVAL);
	assert_null(o);
	/* an undeclared section is an error, not silently empty */
	o = render("{{#missing}}x{{/missing}}", v, &rc, &d);
	assert_int_equal(rc, MM_ENOENT);
	assert_null(o);
	/* a string cannot become a list */
	assert_null(tmpl_vars_row(v, "org"));
	assert_int_equal(tmpl_vars_list(v, "org"), MM_EINVAL);
	tmpl_vars_free(v);
}

static void
test_standalone(void **state)
{
	struct tmpl_vars *v = tmpl_vars_new();
	struct mm_diag d;
	char *o;
	int rc;

	(void)state;
	tmpl_vars_set(tmpl_vars_row(v, "l"), "x", "1");
	tmpl_vars_set(tmpl_vars_row(v, "l"), "x", "2");
	o = render("head\n  {{#l}}\n- {{x}}\n  {{/l}}  \n{{! note }}\ntail\n",
	    v, &rc, &d);
	assert_int_equal(rc, 0);
	assert_string_equal(o, "head\n- 1\n- 2\ntail\n");
	free(o);
	/* CRLF lines too; an inline tag keeps its line */
	o = render("a\r\n{{#l}}\r\n{{x}}{{/l}}\r\nb", v, &rc, &d);
	assert_int_equal(rc, 0);
	assert_string_equal(o, "a\r\n12\r\nb");
	free(o);
	tmpl_vars_free(v);
}

static void
test_padding(void **state)
{
	struct tmpl_vars *v = tmpl_vars_new();
	struct mm_diag d;
	char *o;
	int rc;

	(void)state;
	tmpl_vars_set(v, "a", "ab");
	tmpl_vars_set(v, "j", "日本");		/* width 4 */
	tmpl_vars_set(v, "n", "23");
	tmpl_vars_set(v, "long", "abcdefgh");
	o = render("[{{a:5}}][{{j:6}}][{{n:>5}}][{{long:3}}]", v, &rc, &d);
	assert_int_equal(rc, 0);
	assert_string_equal(o, "[ab   ][日本  ][   23][abcdefgh]");
	free(o);
	assert_int_equal(tmpl_text_width("日本語abc", strlen("日本語abc")),
	    9);
	tmpl_vars_free(v);
}

static void
test_syntax_errors(void **state)
{
	static const char *bad[] = {
		"{{a",
		"{{#a}}x",
		"{{#a}}x{{/b}}",
		"x{{/a}}",
		"{{a b}}",
		"{{}}",
		"{{a:}}",
		"{{a:x}}",
		"{{a:9999}}",
		"{{a\n}}",
		"{{#a:3}}{{/a}}",
	};
	struct tmpl *t;
	struct mm_diag d;
	size_t i;
	char nul[] = "a\0b";

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		int rc = tmpl_parse(bad[i], strlen(bad[i]), "t", &t, &d);

		assert_true(rc == MM_ESYNTAX || rc == MM_ELIMIT);
		assert_null(t);
	}
	assert_int_equal(tmpl_parse("\xff", 1, "t", &t, &d), MM_EFORMAT);
	assert_int_equal(tmpl_parse(nul, 3, "t", &t, &d), MM_EFORMAT);
	/* nesting cap */
	{
		char buf[1024] = "";
		int k;

		for (k = 0; k <= TMPL_MAX_DEPTH; k++)
			strcat(buf, "{{#a}}");
		for (k = 0; k <= TMPL_MAX_DEPTH; k++)
			strcat(buf, "{{/a}}");
		assert_int_equal(tmpl_parse(buf, strlen(buf), "t", &t, &d),
		    MM_ELIMIT);
	}
}

static void
test_mail_template(void **state)
{
	static const char src[] = "Subject: Notice for {{org}}\n\n"
	    "Dear {{org}},\n{{#rows}}\n* {{x}}\n{{/rows}}\nbye\n";
	struct tmpl_mail m;
	struct tmpl_vars *v = tmpl_vars_new();
	struct mm_diag d;
	char *s, *b;
	size_t bl;

	(void)state;
	assert_int_equal(tmpl_mail_parse(src, strlen(src), "m", &m, &d), 0);
	tmpl_vars_set(v, "org", "Example");
	tmpl_vars_set(tmpl_vars_row(v, "rows"), "x", "one");
	assert_int_equal(tmpl_mail_render(&m, v, &s, &b, &bl, &d), 0);
	assert_string_equal(s, "Notice for Example");
	assert_string_equal(b, "Dear Example,\n* one\nbye\n");
	assert_int_equal(bl, strlen(b));
	free(s);
	free(b);
	/* a subject that renders to two lines is refused */
	tmpl_vars_set(v, "org", "Example\r\nBcc: x@example.org");
	assert_int_equal(tmpl_mail_render(&m, v, &s, &b, &bl, &d),
	    MM_EINVAL);
	assert_null(s);
	assert_null(b);
	tmpl_mail_free(&m);
	/* body diagnostics count lines of the file */
	assert_int_equal(tmpl_mail_parse("Subject: x\n\nok\n{{nope}}\n", 23,
	    "m", &m, &d), 0);
	assert_int_equal(tmpl_mail_render(&m, v, &s, &b, &bl, &d), MM_ENOENT);
	assert_non_null(strstr(d.msg, "m:4:"));
	tmpl_mail_free(&m);
	/* malformed files */
	assert_int_equal(tmpl_mail_parse("Hello\n\nx", 9, "m", &m, &d),
	    MM_ESYNTAX);
	assert_int_equal(tmpl_mail_parse("Subject: x\nbody", 15, "m", &m, &d),
	    MM_ESYNTAX);
	tmpl_vars_free(v);
}

static void
test_shipped_templates(void **state)
{
	static const char *langs[] = { "ja", "en" };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		char path[1024];
		struct tmpl_mail m;
		struct mm_diag d;
		struct tmpl_vars *v = tmpl_vars_new();
		char *s = NULL, *b = NULL;
		size_t bl;
		int rc;

		snprintf(path, sizeof(path), "%s/data/notify/templates/%s.txt",
		    MAMORI_SRCDIR, langs[i]);
		rc = tmpl_mail_load(path, &m, &d);
		if (rc != 0)
			fail_msg("%s: %s", path, d.msg);
		/* with no variables the render must fail, naming one */
		assert_int_equal(tmpl_mail_render(&m, v, &s, &b, &bl, &d),
		    MM_ENOENT);
		assert_non_null(strstr(d.msg, "is not set"));
		tmpl_mail_free(&m);
		tmpl_vars_free(v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vars),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_standalone),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_mail_template),
		cmocka_unit_test(test_shipped_templates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
