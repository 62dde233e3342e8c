/*
 * gen_highcard.c - NetFlow v5 sender for bench/query_highcard.sh: N flows
 * with about D distinct source addresses, sent over UDP to 127.0.0.1 only.
 *
 * Flow i is a pure function of (seed, i) (splitmix64), so two runs send the
 * same datagrams, one to nfcapd and one to `mamori collect`. 1 % of the
 * flows come from 1000 heavy sources in 11.0.0.0/22 with large byte counts
 * (a clear top-10 without ties); the rest from K sources 10.0.0.0 + r % K,
 * K chosen so that the expected number of distinct addresses among them is
 * D (K (1 - exp(-n/K)) = D). Times: the flows span one hour of virtual
 * time. Pacing: --rate flows/s of wall time (0 = as fast as possible).
 *
 * Not part of the mamori build: the benchmark compiles it with cc.
 *
 * usage: gen_highcard PORT FLOWS DISTINCT RATE SEED
 */
#define _POSIX_C_SOURCE 200809L
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PER_DGRAM	30
#define T0_SECS		1767225600u	/* 2026-01-01T00:00:00Z */

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	uint8_t d[24 + PER_DGRAM * 48];
	uint64_t n, i, seed, sent = 0;
	double distinct, k, rate, t0;
	uint32_t seq = 0, kk;
	int fd, sndbuf = 8 << 20;

	if (argc != 6) {
		fprintf(stderr, "usage: gen_highcard PORT FLOWS DISTINCT "
		    "RATE SEED\n");
		return 2;
	}
	n = strtoull(argv[2], NULL, 10);
	distinct = strtod(argv[3], NULL);
	rate = strtod(argv[4], NULL);
	seed = strtoull(argv[5], NULL, 10);
	/* K (1 - exp(-m/K)) = D for the m = 0.99 n light flows */
	k = distinct;
	for (i = 0; i < 100; i++)
		k = distinct / (1.0 - exp(-0.99 * (double)n / k));
	if (k < 1 || k > 16000000.0) {
		fprintf(stderr, "gen_highcard: %.0f sources do not fit "
		    "10.0.0.0/8\n", k);
		return 2;
	}
	kk = (uint32_t)k;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(0x7f000001u);	/* 127.0.0.1 only */
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
		perror("socket");
		return 1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	t0 = now();
	for (i = 0; i < n; ) {
		uint64_t vms = (uint64_t)((double)i * 3600000.0 / (double)n);
		uint32_t c = n - i < PER_DGRAM ? (uint32_t)(n - i) : PER_DGRAM;
		uint32_t up = 86400000u + (uint32_t)vms, j;

		memset(d, 0, sizeof(d));
		put16(d, 5);
		put16(d + 2, c);
		put32(d + 4, up);
		put32(d + 8, T0_SECS + (uint32_t)(vms / 1000));
		put32(d + 12, (uint32_t)(vms % 1000) * 1000000u);
		put32(d + 16, seq);
		for (j = 0; j < c; j++, i++) {
			uint8_t *r = d + 24 + j * 48;
			uint64_t h = mix(seed * 0x100000001b3ULL ^ i);
			uint64_t h2 = mix(h);
			uint32_t src, pk, by, dur;

			if (h % 100 == 0) {
				src = 0x0b000000u + (uint32_t)(h2 % 1000);
				pk = 1000 + (uint32_t)(h2 >> 40) % 100000;
				by = pk * 1000 + (uint32_t)(h2 >> 20) % 1000;
			} else {
				src = 0x0a000000u + (uint32_t)(h2 % kk);
				pk = 1 + (uint32_t)(h2 >> 40) % 20;
				by = pk * (40 + (uint32_t)(h2 >> 20) % 1400);
			}
			dur = (uint32_t)(h >> 50) % 60000;
			put32(r, src);
			put32(r + 4, 0xc6120000u + (uint32_t)(h >> 20) % 50000);
			put32(r + 8, 0xc0000201u);
			put16(r + 12, 1 + (uint32_t)(h >> 8) % 4);
			put16(r + 14, 100 + (uint32_t)(h >> 12) % 16);
			put32(r + 16, pk);
			put32(r + 20, by);
			put32(r + 24, up - 1000 - dur);
			put32(r + 28, up - 1000);
			put16(r + 32, 1024 + (uint32_t)(h >> 16) % 60000);
			put16(r + 34, (h >> 32) % 4 ? 443 : 53);
			r[37] = 0x1b;
			r[38] = (h >> 32) % 4 ? 6 : 17;
			put16(r + 40, 64500);
			put16(r + 42, 64512 + (uint32_t)(h >> 24) % 1000);
			r[44] = 8;
			r[45] = 24;
		}
		seq += c;
		if (sendto(fd, d, 24 + c * 48, 0, (struct sockaddr *)&sa,
		    sizeof(sa)) < 0)
			perror("sendto");
		sent += c;
		if (rate > 0 && (seq / PER_DGRAM) % 32 == 0) {
			double ahead = (double)sent / rate - (now() - t0);

			if (ahead > 0) {
				struct timespec ts;

				ts.tv_sec = (time_t)ahead;
				ts.tv_nsec = (long)((ahead -
				    (double)ts.tv_sec) * 1e9);
				nanosleep(&ts, NULL);
			}
		}
	}
	close(fd);
	printf("{\"flows_sent\":%llu,\"light_sources\":%u}\n",
	    (unsigned long long)sent, kk);
	return 0;
}
