/*
 * test_attrib.c - the attribution resolver: resolution order (customer >
 * AS > prefix in the contacts file > RDAP by AS > RDAP by network >
 * unattributed), every unattributed reason, flagged entries that must not
 * fall through to RDAP, NULL sources, and concurrent lookups. The routing
 * view is built through its public API from small pfx2as and customer
 * files written to a temporary directory. Documentation resources only.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attrib/attrib.h"
#include "attrib/contacts.h"
#include "attrib/rdap.h"
#include "attrib/routeview.h"
#include "core/addr.h"
#include "core/err.h"

static const char pfx2as[] =
    "192.0.2.0\t24\t64496\n"
    "203.0.113.0\t24\t64499\n"
    "198.51.100.0\t26\t64501\n"
    "198.51.100.64\t26\t64502\n"
    "198.51.100.128\t26\t64507\n"
    "198.51.100.192\t26\t64498\n"
    "198.18.0.0\t15\t64498\n"
    "2001:db8::\t32\t65551\n";

static const char customers[] =
    "192.0.2.0/28 vip\n"
    "192.0.2.16/28 broken\n"
    "192.0.2.32/28 nocontact\n"
    "100.65.0.0/24 lonely\n";

static const char contacts_text[] =
    "[customer:vip]\n"
    "org   = 例示商事株式会社\n"
    "email = vip@example.jp\n"
    "lang  = ja\n"
    "format = both\n"
    "[customer:broken]\n"
    "email = Broken <a@example.jp>\n"
    "[AS64496]\n"
    "org   = ASORG\n"
    "isp   = Reiji\n"
    "email = as@example.jp\n"
    "[192.0.2.128/25]\n"
    "email = pfx@example.jp\n"
    "[203.0.113.128/25]\n"
    "email = pfx2@example.jp\n"
    "format = xarf\n"
    "[AS64501]\n"
    "email = bad@@example.jp\n"
    "[AS64502]\n"
    "org = Mailless\n";

static const char rdap_ranges[] =
    "{\"autnumSearchResults\":["
    "{\"objectClassName\":\"autnum\",\"startAutnum\":64504,"
    "\"endAutnum\":64511,\"name\":\"RANGE-AS\",\"entities\":[{\"roles\":"
    "[\"abuse\"],\"vcardArray\":[\"vcard\",[[\"email\",{},\"text\","
    "\"range@example.com\"]]]}]},"
    "{\"objectClassName\":\"autnum\",\"startAutnum\":64498,"
    "\"endAutnum\":64498,\"name\":\"BAD-AS\",\"entities\":[{\"roles\":"
    "[\"abuse\"],\"vcardArray\":[\"vcard\",[[\"email\",{},\"text\","
    "\"not an address\"]]]}]},"
    "{\"objectClassName\":\"autnum\",\"startAutnum\":64496,"
    "\"name\":\"SHADOWED\",\"entities\":[{\"roles\":[\"abuse\"],"
    "\"vcardArray\":[\"vcard\",[[\"email\",{},\"text\","
    "\"rdap-as@example.com\"]]]}]}"
    "]}";

static const char rdap_nets[] =
    "{\"ipSearchResults\":["
    "{\"objectClassName\":\"ip network\",\"startAddress\":"
    "\"198.51.100.192\",\"endAddress\":\"198.51.100.255\",\"country\":"
    "\"JP\",\"name\":\"NET-192\",\"entities\":[{\"roles\":[\"abuse\"],"
    "\"vcardArray\":[\"vcard\",[[\"email\",{},\"text\","
    "\"net@example.jp\"]]]},{\"roles\":[\"registrant\"],\"vcardArray\":"
    "[\"vcard\",[[\"fn\",{},\"text\",\"ネット株式会社\"]]]}]},"
    "{\"objectClassName\":\"ip network\",\"startAddress\":"
    "\"233.252.0.0\",\"endAddress\":\"233.252.0.255\",\"name\":"
    "\"UNROUTED\",\"entities\":[{\"roles\":[\"abuse\"],\"vcardArray\":"
    "[\"vcard\",[[\"email\",{},\"text\",\"unrouted@example.com\"]]]}]},"
    "{\"objectClassName\":\"ip network\",\"startAddress\":"
    "\"2001:db8:ff00::\",\"endAddress\":"
    "\"2001:db8:ff00:ffff:ffff:ffff:ffff:ffff\",\"name\":\"NOMAIL\"}"
    "]}";

struct fixture {
	char			 dir[64];
	struct routeview	*rv;
	struct contacts		*ct;
	struct rdap_set		*rd;
	struct attrib		*at;
};

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void
remove_file(const char *dir, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mm_diag d;
	char path[128];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mamori-attrib-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	write_file(f->dir, "pfx2as.txt", pfx2as);
	write_file(f->dir, "customers.txt", customers);

	f->rv = routeview_new();
	assert_non_null(f->rv);
	snprintf(path, sizeof(path), "%s/pfx2as.txt", f->dir);
	assert_int_equal(routeview_add_pfx2as(f->rv, path, &d), 0);
	snprintf(path, sizeof(path), "%s/customers.txt", f->dir);
	assert_int_equal(routeview_add_customers(f->rv, path, &d), 0);

	f->ct = contacts_new();
	assert_non_null(f->ct);
	assert_int_equal(contacts_load_mem(f->ct, "t.contacts", contacts_text,
	    strlen(contacts_text), &d), 0);
	assert_int_equal(contacts_stats(f->ct)->errors, 2);

	f->rd = rdap_new();
	assert_non_null(f->rd);
	assert_int_equal(rdap_load_mem(f->rd, "as.json", rdap_ranges,
	    strlen(rdap_ranges), &d), 0);
	assert_int_equal(rdap_load_mem(f->rd, "net.json", rdap_nets,
	    strlen(rdap_nets), &d), 0);
	assert_int_equal(rdap_count(f->rd), 6);

	f->at = attrib_new(f->rv, f->ct, f->rd);
	assert_non_null(f->at);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	attrib_free(f->at);
	rdap_free(f->rd);
	contacts_free(f->ct);
	routeview_free(f->rv);
	remove_file(f->dir, "pfx2as.txt");
	remove_file(f->dir, "customers.txt");
	rmdir(f->dir);
	free(f);
	return 0;
}

static int
res(const struct attrib *at, const char *addr, struct attribution *out)
{
	struct mm_addr a;

	assert_int_equal(addr_parse(addr, &a), 0);
	return attrib_resolve(at, &a, out);
}

/* Asserts an unattributed answer with `reason`. */
static void
unattr(const struct attrib *at, const char *addr, const char *reason)
{
	struct attribution o;

	if (res(at, addr, &o) != 0)
		fail_msg("%s: attributed to %s <%s>", addr, o.rcpt.id,
		    o.rcpt.email);
	assert_string_equal(o.rcpt.id, ATTRIB_UNATTRIBUTED);
	assert_int_equal(o.rcpt.unattributed, 1);
	assert_int_equal(o.rcpt.source, CONTACT_SRC_NONE);
	assert_string_equal(o.rcpt.email, "");
	assert_string_equal(o.rcpt.reason, reason);
	assert_string_equal(o.rcpt.lang, "en");
	assert_string_equal(o.rcpt.format, "csv");
}

static void
t_contacts_order(void **state)
{
	struct fixture *f = *state;
	struct attribution o;
	char p[PREFIX_STRLEN];

	/* customer wins over the AS */
	assert_int_equal(res(f->at, "192.0.2.5", &o), 1);
	assert_int_equal(o.routed, 1);
	assert_string_equal(o.route.customer, "vip");
	assert_int_equal(o.route.origin_as, 64496);
	assert_string_equal(o.rcpt.id, "customer:vip");
	assert_string_equal(o.rcpt.org, "例示商事株式会社");
	assert_string_equal(o.rcpt.email, "vip@example.jp");
	assert_string_equal(o.rcpt.lang, "ja");
	assert_string_equal(o.rcpt.format, "both");
	assert_int_equal(o.rcpt.source, CONTACT_SRC_FILE);
	assert_int_equal(o.rcpt.unattributed, 0);
	assert_string_equal(o.rcpt.reason, "");

	/* a customer without a stanza: the AS stanza */
	assert_int_equal(res(f->at, "192.0.2.40", &o), 1);
	assert_string_equal(o.route.customer, "nocontact");
	assert_string_equal(o.rcpt.id, "AS64496");
	assert_string_equal(o.rcpt.org, "ASORG");
	assert_string_equal(o.rcpt.isp, "Reiji");
	assert_string_equal(o.rcpt.email, "as@example.jp");
	assert_string_equal(o.rcpt.lang, "en");
	assert_string_equal(o.rcpt.format, "csv");

	/* the AS wins over a covering prefix stanza, and over RDAP */
	assert_int_equal(res(f->at, "192.0.2.200", &o), 1);
	assert_string_equal(o.rcpt.id, "AS64496");
	assert_string_equal(prefix_fmt(&o.route.prefix, p, sizeof(p)),
	    "192.0.2.0/24");

	/* no AS stanza: the prefix stanza */
	assert_int_equal(res(f->at, "203.0.113.200", &o), 1);
	assert_string_equal(o.rcpt.id, "203.0.113.128/25");
	assert_string_equal(o.rcpt.email, "pfx2@example.jp");
	assert_string_equal(o.rcpt.format, "xarf");
	assert_int_equal(o.route.origin_as, 64499);
}

static void
t_rdap_order(void **state)
{
	struct fixture *f = *state;
	struct attribution o;

	/* RDAP by origin AS (a range record) */
	assert_int_equal(res(f->at, "198.51.100.130", &o), 1);
	assert_string_equal(o.rcpt.id, "AS64504-AS64511");
	assert_string_equal(o.rcpt.email, "range@example.com");
	assert_string_equal(o.rcpt.org, "RANGE-AS");
	assert_int_equal(o.rcpt.source, CONTACT_SRC_RDAP);
	assert_string_equal(o.rcpt.lang, "en");
	assert_string_equal(o.rcpt.format, "csv");
	assert_string_equal(attrib_source_name(o.rcpt.source), "rdap");

	/* the AS record has no valid address: the network record */
	assert_int_equal(res(f->at, "198.51.100.200", &o), 1);
	assert_int_equal(o.route.origin_as, 64498);
	assert_string_equal(o.rcpt.id, "net:198.51.100.192/26");
	assert_string_equal(o.rcpt.email, "net@example.jp");
	assert_string_equal(o.rcpt.org, "ネット株式会社");
	assert_string_equal(o.rcpt.lang, "ja");

	/* no route, but a registered network */
	assert_int_equal(res(f->at, "233.252.0.1", &o), 1);
	assert_int_equal(o.routed, 0);
	assert_string_equal(o.rcpt.id, "net:233.252.0.0/24");
	assert_string_equal(o.rcpt.email, "unrouted@example.com");
}

static void
t_unattributed(void **state)
{
	struct fixture *f = *state;
	struct attribution o;

	unattr(f->at, "100.64.0.1", "no route");
	unattr(f->at, "203.0.113.5", "no contact for AS64499");
	unattr(f->at, "2001:db8::1", "no contact for AS65551");
	/* flagged stanzas do not fall through to RDAP or a wider key */
	unattr(f->at, "192.0.2.20", "invalid e-mail for customer:broken");
	unattr(f->at, "198.51.100.5", "invalid e-mail for AS64501");
	unattr(f->at, "198.51.100.70", "no contact for AS64502");
	/* RDAP answered but gave no usable address */
	unattr(f->at, "198.18.1.1", "invalid e-mail for AS64498 (RDAP "
	    "as.json)");
	unattr(f->at, "2001:db8:ff00::1", "no contact for "
	    "net:2001:db8:ff00::/48 (RDAP net.json)");
	/* a customer prefix without AS and without route */
	unattr(f->at, "100.65.0.9", "no contact for 100.65.0.0/24 (no origin "
	    "AS)");

	/* the route is still reported for unattributed addresses */
	assert_int_equal(res(f->at, "198.51.100.5", &o), 0);
	assert_int_equal(o.routed, 1);
	assert_int_equal(o.route.origin_as, 64501);
	assert_int_equal(o.route.source, ROUTE_SRC_PFX2AS);
}

static void
t_null_sources(void **state)
{
	struct fixture *f = *state;
	struct attribution o;
	struct attrib *at;
	struct mm_addr a;

	/* no routing view: prefix stanzas and RDAP networks only */
	at = attrib_new(NULL, f->ct, f->rd);
	assert_non_null(at);
	assert_int_equal(res(at, "192.0.2.200", &o), 1);
	assert_int_equal(o.routed, 0);
	assert_string_equal(o.rcpt.id, "192.0.2.128/25");
	assert_string_equal(o.rcpt.email, "pfx@example.jp");
	assert_int_equal(res(at, "198.51.100.130", &o), 0);
	assert_string_equal(o.rcpt.reason, "no route");
	assert_int_equal(res(at, "198.51.100.200", &o), 1);
	assert_string_equal(o.rcpt.id, "net:198.51.100.192/26");
	attrib_free(at);

	/* routing view only */
	at = attrib_new(f->rv, NULL, NULL);
	unattr(at, "192.0.2.5", "no contact for AS64496");
	unattr(at, "100.64.0.1", "no route");
	attrib_free(at);

	/* nothing at all */
	at = attrib_new(NULL, NULL, NULL);
	unattr(at, "192.0.2.5", "no route");
	attrib_free(at);
	unattr(NULL, "192.0.2.5", "no route");
	assert_int_equal(addr_parse("192.0.2.5", &a), 0);
	assert_int_equal(attrib_resolve(f->at, &a, NULL), 0);
	memset(&o, 0xff, sizeof(o));
	assert_int_equal(attrib_resolve(f->at, NULL, &o), 0);
	assert_string_equal(o.rcpt.id, ATTRIB_UNATTRIBUTED);
	assert_string_equal(o.rcpt.reason, "no route");
	attrib_free(NULL);
	assert_string_equal(attrib_source_name(CONTACT_SRC_FILE), "file");
	assert_string_equal(attrib_source_name(CONTACT_SRC_NONE), "none");
}

/* concurrent resolvers give the answers of a single thread */
static const char *const probe_addrs[] = {
	"192.0.2.5", "192.0.2.20", "192.0.2.40", "192.0.2.200",
	"203.0.113.200", "203.0.113.5", "198.51.100.5", "198.51.100.70",
	"198.51.100.130", "198.51.100.200", "233.252.0.1", "100.64.0.1",
	"2001:db8::1", "2001:db8:ff00::1", "198.18.1.1", "100.65.0.9"
};
#define NPROBE	(sizeof(probe_addrs) / sizeof(probe_addrs[0]))

struct worker {
	const struct attrib	*at;
	const struct attribution *want;
	int			 bad;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct attribution o;
	struct mm_addr a;
	size_t i, k;

	for (k = 0; k < 2000; k++) {
		i = k % NPROBE;
		if (addr_parse(probe_addrs[i], &a) != 0) {
			w->bad++;
			continue;
		}
		attrib_resolve(w->at, &a, &o);
		if (strcmp(o.rcpt.id, w->want[i].rcpt.id) != 0 ||
		    strcmp(o.rcpt.reason, w->want[i].rcpt.reason) != 0 ||
		    strcmp(o.rcpt.email, w->want[i].rcpt.email) != 0)
			w->bad++;
	}
	return NULL;
}

static void
t_threads(void **state)
{
	struct fixture *f = *state;
	struct attribution want[NPROBE];
	struct worker w[4];
	pthread_t th[4];
	size_t i;

	for (i = 0; i < NPROBE; i++)
		res(f->at, probe_addrs[i], &want[i]);
	for (i = 0; i < 4; i++) {
		w[i].at = f->at;
		w[i].want = want;
		w[i].bad = 0;
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_contacts_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_rdap_order, setup, teardown),
		cmocka_unit_test_setup_teardown(t_unattributed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_null_sources, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
