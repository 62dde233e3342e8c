/*
 * stats.c - collector counters: merge, JSON and text rendering, atomic file
 * replacement.
 *
 * JSON is produced with the strbuf of core/sbuf.h and printf: the
 * only strings written are fixed key names, numbers, and addresses/times
 * that our own formatters produce (no characters needing escapes), so no
 * general-purpose JSON library is needed. Output is O(exporters) bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/stats.h"
#include "core/sbuf.h"

void
stats_clear(struct collect_stats *s)
{
	if (s == NULL)
		return;
	free(s->exp);
	memset(s, 0, sizeof(*s));
}

static int
exp_cmp(const void *a, const void *b)
{
	const struct exporter_stats *x = a, *y = b;
	int c;

	if ((c = addr_cmp(&x->addr, &y->addr)) != 0)
		return c;
	return (x->port > y->port) - (x->port < y->port);
}

size_t
stats_merge_exporters(struct exporter_stats *v, size_t n)
{
	size_t i, o;

	if (n < 2)
		return n;
	qsort(v, n, sizeof(*v), exp_cmp);
	for (o = 0, i = 1; i < n; i++) {
		if (exp_cmp(&v[o], &v[i]) != 0) {
			v[++o] = v[i];
			continue;
		}
		v[o].datagrams += v[i].datagrams;
		v[o].flows += v[i].flows;
		v[o].seq_gaps += v[i].seq_gaps;
		v[o].malformed += v[i].malformed;
		v[o].missing_template += v[i].missing_template;
		v[o].templates += v[i].templates;
		if (v[i].last_seen > v[o].last_seen) {
			v[o].last_seen = v[i].last_seen;
			v[o].version = v[i].version;
		}
	}
	return o + 1;
}

const char *
stats_version_name(uint16_t version)
{
	switch (version) {
	case DECODE_NFV5:
		return "netflow-v5";
	case DECODE_NFV9:
		return "netflow-v9";
	case DECODE_IPFIX:
		return "ipfix";
	case DECODE_SFLOW5:
		return "sflow-v5";
	default:
		return "unknown";
	}
}

static void
sb_time(struct strbuf *sb, const char *key, mtime_t t, int comma)
{
	char buf[MTIME_STRLEN];

	if (t <= 0)
		strbuf_printf(sb, "\"%s\":null%s", key, comma ? "," : "");
	else
		strbuf_printf(sb, "\"%s\":\"%s\"%s", key,
		    mtime_fmt(t, 1, buf, sizeof(buf)), comma ? "," : "");
}

int
stats_to_json(const struct collect_stats *s, char **out, size_t *len)
{
	struct strbuf			 sb = STRBUF_INIT;
	const struct exporter_stats	*e;
	char				 a[ADDR_STRLEN];
	size_t				 i;

	*out = NULL;
	strbuf_printf(&sb, "{");
	sb_time(&sb, "started", s->started, 1);
	sb_time(&sb, "time", s->now, 1);
	strbuf_printf(&sb, "\"uptime_s\":%lld,",
	    (long long)(s->now > s->started ? (s->now - s->started) / 1000 : 0));
	strbuf_printf(&sb, "\"threads\":%u,\"sockets\":%u,\"rcvbuf\":%llu,",
	    s->threads, s->sockets, (unsigned long long)s->rcvbuf);
	strbuf_printf(&sb, "\"datagrams\":%llu,\"datagram_bytes\":%llu,"
	    "\"truncated\":%llu,\"kernel_drops\":%llu,\"decode_errors\":%llu,",
	    (unsigned long long)s->datagrams,
	    (unsigned long long)s->dgram_bytes,
	    (unsigned long long)s->truncated,
	    (unsigned long long)s->kernel_drops,
	    (unsigned long long)s->decode_errors);
	strbuf_printf(&sb, "\"flows\":%llu,\"queue_drops\":%llu,"
	    "\"queue_depth\":%llu,\"queue_hiwat\":%llu,\"queue_cap\":%llu,",
	    (unsigned long long)s->flows,
	    (unsigned long long)s->queue_drops,
	    (unsigned long long)s->queue_depth,
	    (unsigned long long)s->queue_hiwat,
	    (unsigned long long)s->queue_cap);
	strbuf_printf(&sb, "\"flows_written\":%llu,\"write_errors\":%llu,"
	    "\"blocks\":%llu,\"bytes\":%llu,\"sink_errors\":%llu,",
	    (unsigned long long)s->flows_written,
	    (unsigned long long)s->write_errors,
	    (unsigned long long)s->blocks,
	    (unsigned long long)s->bytes,
	    (unsigned long long)s->sink_errors);
	strbuf_printf(&sb, "\"anon_errors\":%llu,",
	    (unsigned long long)s->anon_errors);
	if (s->sink)
		strbuf_printf(&sb, "\"clickhouse\":{\"up\":%s,\"rows_sent\":%llu,"
		    "\"rows_dropped\":%llu,\"backlog_rows\":%llu},",
		    s->sink_up ? "true" : "false",
		    (unsigned long long)s->sink_sent,
		    (unsigned long long)s->sink_dropped,
		    (unsigned long long)s->sink_backlog);
	strbuf_printf(&sb, "\"exporters\":[");
	for (i = 0; i < s->nexp; i++) {
		e = &s->exp[i];
		addr_fmt(&e->addr, a, sizeof(a));
		strbuf_printf(&sb, "%s{\"address\":\"%s\",\"port\":%u,"
		    "\"version\":\"%s\",\"datagrams\":%llu,\"flows\":%llu,"
		    "\"sequence_gaps\":%llu,\"malformed\":%llu,"
		    "\"missing_template\":%llu,\"templates\":%llu,",
		    i == 0 ? "" : ",", a, (unsigned)e->port,
		    stats_version_name(e->version),
		    (unsigned long long)e->datagrams,
		    (unsigned long long)e->flows,
		    (unsigned long long)e->seq_gaps,
		    (unsigned long long)e->malformed,
		    (unsigned long long)e->missing_template,
		    (unsigned long long)e->templates);
		sb_time(&sb, "last_seen", e->last_seen, 0);
		strbuf_printf(&sb, "}");
	}
	strbuf_printf(&sb, "]}\n");
	return strbuf_take(&sb, out, len);
}

int
stats_to_text(const struct collect_stats *s, char **out, size_t *len)
{
	struct strbuf			 sb = STRBUF_INIT;
	const struct exporter_stats	*e;
	char				 a[ADDR_STRLEN];
	size_t				 i;

	*out = NULL;
	strbuf_printf(&sb, "uptime %llds, %u socket(s), %u thread(s), "
	    "rcvbuf %llu bytes\n",
	    (long long)(s->now > s->started ? (s->now - s->started) / 1000 : 0),
	    s->sockets, s->threads, (unsigned long long)s->rcvbuf);
	strbuf_printf(&sb, "received   %llu datagrams (%llu bytes), %llu truncated, "
	    "%llu kernel drops, %llu with decode errors\n",
	    (unsigned long long)s->datagrams,
	    (unsigned long long)s->dgram_bytes,
	    (unsigned long long)s->truncated,
	    (unsigned long long)s->kernel_drops,
	    (unsigned long long)s->decode_errors);
	strbuf_printf(&sb, "flows      %llu decoded, %llu queue drops, queue "
	    "%llu/%llu (high %llu)\n",
	    (unsigned long long)s->flows,
	    (unsigned long long)s->queue_drops,
	    (unsigned long long)s->queue_depth,
	    (unsigned long long)s->queue_cap,
	    (unsigned long long)s->queue_hiwat);
	strbuf_printf(&sb, "store      %llu flows written, %llu blocks, %llu bytes, "
	    "%llu write errors, %llu sink errors\n",
	    (unsigned long long)s->flows_written,
	    (unsigned long long)s->blocks,
	    (unsigned long long)s->bytes,
	    (unsigned long long)s->write_errors,
	    (unsigned long long)s->sink_errors);
	if (s->sink)
		strbuf_printf(&sb, "clickhouse %s, %llu rows sent, %llu dropped, "
		    "%llu waiting\n", s->sink_up ? "up" : "down",
		    (unsigned long long)s->sink_sent,
		    (unsigned long long)s->sink_dropped,
		    (unsigned long long)s->sink_backlog);
	if (s->anon_errors)
		strbuf_printf(&sb, "anonymise  %llu flows dropped (cipher "
		    "failure)\n", (unsigned long long)s->anon_errors);
	for (i = 0; i < s->nexp; i++) {
		e = &s->exp[i];
		strbuf_printf(&sb, "exporter   %s port %u %s: %llu datagrams, "
		    "%llu flows, %llu seq gaps, %llu malformed, %llu missing "
		    "template\n", addr_fmt(&e->addr, a, sizeof(a)),
		    (unsigned)e->port, stats_version_name(e->version),
		    (unsigned long long)e->datagrams,
		    (unsigned long long)e->flows,
		    (unsigned long long)e->seq_gaps,
		    (unsigned long long)e->malformed,
		    (unsigned long long)e->missing_template);
	}
	return strbuf_take(&sb, out, len);
}

int
stats_write_file(const struct collect_stats *s, const char *path,
    struct mm_diag *diag)
{
	char	*json = NULL, *tmp = NULL;
	size_t	 len, tlen, off;
	ssize_t	 w;
	FILE	*fp = NULL;
	int	 rc, fd;

	if ((rc = stats_to_json(s, &json, &len)) != 0)
		return mm_diag_set(diag, rc, "%s: out of memory", path);
	tlen = strlen(path) + 32;
	if ((tmp = malloc(tlen)) == NULL) {
		rc = mm_diag_set(diag, MM_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());
	if ((fp = fopen(tmp, "w")) == NULL) {
		rc = mm_diag_set(diag, MM_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = fileno(fp);
	for (off = 0; off < len; off += (size_t)w) {
		if ((w = write(fd, json + off, len - off)) < 0) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			rc = mm_diag_set(diag, MM_EIO, "%s: write: %s", tmp,
			    strerror(errno));
			goto out;
		}
	}
	if (fclose(fp) != 0) {
		fp = NULL;
		rc = mm_diag_set(diag, MM_EIO, "%s: close: %s", tmp,
		    strerror(errno));
		goto out;
	}
	fp = NULL;
	if (rename(tmp, path) != 0) {
		rc = mm_diag_set(diag, MM_EIO, "%s: rename: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
 out:
	if (fp != NULL)
		fclose(fp);
	if (rc != 0 && tmp != NULL)
		(void)unlink(tmp);
	free(tmp);
	free(json);
	return rc;
}
