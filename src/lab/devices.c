/*
 * devices.c - the plan and ground truth of the lab's emulated device fleet.
 *
 * Approach: a static table of service templates (what a port says and what
 * the truth records about it) and a table of device profiles (1-3
 * templates on fixed ports). Each address of the range draws from its own
 * splitmix64 stream, seeded by (seed, address), so the plan does not
 * depend on iteration order and one address can be reasoned about alone:
 * live or not (live_pct), hostile or not (hostile_pct of live devices),
 * then a weighted profile. Cost: O(addresses) time, O(live services)
 * memory; the range is capped at a /16 (DEV_MAX_ADDRS).
 *
 * Truth honesty: a template whose real devices show nothing of their own
 * (the Xiongmai DVR's "(none) login:") carries `generic`, the product a
 * survey can report there; the truth then says "identifiable": false and
 * "expected" so tests can require exact identification everywhere. The
 * same holds for a version no public source lets a survey read (the
 * FortiGate 5.x/6.x ETag times): `generic_vendor` keeps the vendor the
 * generic result still names. Products are named as data/fingerprints
 * names them.
 *
 * SSH templates with a credential are served by libssh threads
 * (devices_ssh.c); real servers (lighttpd, dropbear) are added to the plan
 * with devplan_add_real on the highest free addresses of the range and
 * appear in the truth with "real": true (devices_real.c runs them).
 *
 * VPN portals listen twice: plain HTTP (80/8080) and HTTPS (443, 10443
 * for FortiGate; devices_svc_tls), with one self-signed certificate per
 * template made at start (devices_tls.c).
 *
 * The default credentials are pairs from the publicly documented Mirai
 * list. Versions and CVEs of the VPN portals follow the vendors'
 * advisories (CVE-2018-13379 FortiOS 5.6.3-5.6.7 and 6.0.0-6.0.4;
 * CVE-2019-11510 Pulse Connect Secure 8.2R1-8.2R12, 8.3R1-8.3R7, 9.0R1-
 * 9.0R3.3; CVE-2019-19781 Citrix ADC/Gateway 12.1 before 12.1.55.18, 13.0
 * before 13.0.47.24; CVE-2019-1579 PAN-OS GlobalProtect 8.0.11 and
 * earlier, CVE-2020-2021 PAN-OS 8.1 before 8.1.15; CVE-2021-20016
 * SonicWall SMA100 10.2.0.x before 10.2.0.5; CVE-2022-42475 FortiOS
 * 7.2.0-7.2.2 and others, fixed in 7.2.3; CVE-2021-20038 SonicWall SMA100
 * 10.2.0.8-37sv, 10.2.1.2-24sv and earlier).
 *
 * How each portal shows its version (docs/lab-devices.md):
 *  - Pulse: /dana-na/nc/nc_gina_ver.txt ProductVersion (real; public
 *    version checkers read it).
 *  - Citrix: the gzip MTIME of /vpn/js/rdx/core/lang/rdx_en.json.gz, set
 *    to the exact stamp Fox-IT published for each build
 *    (https://github.com/fox-it/citrix-netscaler-triage,
 *    scan-citrix-netscaler-version.py, table from
 *    https://gist.github.com/fox-srt/c7eb3cbc6b4bf9bb5a874fa208277e86;
 *    blog https://blog.fox-it.com/2022/12/28/cve-2022-27510-cve-2022-
 *    27518-measuring-citrix-adc-gateway-version-adoption-on-the-internet/).
 *  - GlobalProtect: the ETag of /global-protect/login.esp, whose last 8
 *    hex digits are a Unix time on the release day of Bishop Fox's
 *    panos-scanner table (https://github.com/noperator/panos-scanner,
 *    README.md and version-table.txt: 8.0.10 = 2018-05-04, 8.1.15 =
 *    2020-06-13). The table gives days, so the emulated time of day
 *    (14:00 UTC) is illustrative. 9.1.3, the former fixed version, shares
 *    its day (2020-06-20) with 9.0.9 and cannot be told apart this way.
 *  - FortiGate 7.x: the SSL-VPN login page carries a per-build 32-hex
 *    string (the first [0-9a-f]{32} of the page; the lab writes it as a
 *    static asset path prefix). 3gstudent/Homework-of-Python,
 *    Fortigate_GetVersion.py (commit a589b1b3), maps four of them:
 *    df91004ba8e5e244e7af97a888494774 = 7.2.2, 97a9a8eadad35e7c450cd9aae0
 *    848ee7 = 7.2.3 (and 7.2.1, 7.0.6). One public source: medium
 *    confidence. The lab's 7.2.2 (CVE-2022-42475) and 7.2.3 (fixed) show
 *    them.
 *  - FortiGate 5.x/6.x: an ETag "SIZE-HEXTIME" whose second part is the
 *    build's Unix time, the shape Praetorian's FortiGate fingerprinter
 *    documents (praetorian-inc/nerva, pkg/plugins/fingerprinters/
 *    fortigate.go: "83-6011f49f" = 2021-01-27). It dates a build, but no
 *    public table maps times to FortiOS versions: the four times below
 *    are the lab's stand-ins (14:00 UTC on a day near each release), the
 *    shipped rules report these units without a version ("identifiable":
 *    false), and data/lab/fortigate-etag.rules, an operator-style build
 *    table not loaded by default, turns the stand-ins into versions.
 *  - SonicWall SMA 100: /cgi-bin/welcome names its CSS and JS assets
 *    after the firmware, e.g. /swl_login.10.2.1.2-24sv.css and
 *    /js/jquery.10.2.1.2-24sv.js (jbaines-r7/badblood README.md, Jake
 *    Baines, Rapid7; Metasploit's sonicwall_cve_2021_20039.rb reads the
 *    jquery name); the lab serves those names for its two builds.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sbuf.h"
#include "lab/devices.h"

static const struct dev_cred creds[] = {
	{ "mirai-01", "root", "xc3511" },
	{ "mirai-02", "root", "vizxv" },
	{ "mirai-03", "admin", "admin" },
	{ "mirai-04", "root", "888888" },
	{ "mirai-05", "support", "support" },
	{ "mirai-06", "root", "default" },
	{ "mirai-07", "admin", "1234" },
	{ "mirai-08", "root", "12345" },
	{ "mirai-09", "user", "user" },
	{ "mirai-10", "admin", "password" },
};

enum {
	P_NONE = 0, P_FORTI, P_PULSE, P_CITRIX, P_GP, P_SONICWALL
};

enum {
	T_TEL_XM, T_TEL_DAHUA, T_TEL_HI3518, T_TEL_BBROUTER, T_TEL_2323,
	T_TEL_DEF, T_TEL_DLINK,
	T_HTTP_DLINK, T_HTTP_GOAHEAD, T_HTTP_TPLINK, T_HTTP_ROUTER,
	T_HTTP_OPEN,
	T_SSH_74, T_SSH_96, T_SSH_DB2019, T_SSH_DB2014,
	T_FGT_604, T_FGT_567, T_FGT_609, T_FGT_644, T_FGT_722, T_FGT_723,
	T_PCS_901, T_PCS_837, T_PCS_9034,
	T_CTX_130, T_CTX_121, T_CTX_130F,
	T_GP_8010, T_GP_8115,
	T_SW_V, T_SW_F,
	T_H_ENDLESS, T_H_DRIP, T_H_RESET, T_H_IAC, T_H_HUGE, T_H_REDIR,
	T_H_TLS,
	T_COUNT
};

/* the SSH KEXINIT fields of every template that is not an emulated
 * OpenSSH */
#define NO_KEX	NULL, NULL, NULL
#define TEL(n, ven, prod, ver, cpe, cve, prompt, cr)			\
	{ n, DEV_TELNET, "telnet", ven, prod, ver, cpe, cve, prompt, NULL, \
	  NULL, "telnet banner", cr, P_NONE, 0, HOST_NONE, NULL, NULL,	\
	  NULL, NO_KEX }
/* a telnet device whose prompt real devices share with generic ones */
#define TELG(n, ven, prod, ver, cpe, cve, prompt, cr, gen)		\
	{ n, DEV_TELNET, "telnet", ven, prod, ver, cpe, cve, prompt, NULL, \
	  NULL, "none: the prompt is generic", cr, P_NONE, 0, HOST_NONE,  \
	  gen, NULL, NULL, NO_KEX }
#define WEB(n, ven, prod, ver, cpe, cve, server, realm, title, cr)	\
	{ n, DEV_HTTP, "http", ven, prod, ver, cpe, cve, server, realm,	\
	  title, "Server header, Basic realm, title", cr, P_NONE, 0,	\
	  HOST_NONE, NULL, NULL, NULL, NO_KEX }
#define SSH(n, ven, prod, ver, cpe, cve, id, cr)			\
	{ n, DEV_SSH, "ssh", ven, prod, ver, cpe, cve, id, NULL, NULL,	\
	  "SSH identification string", cr, P_NONE, 0, HOST_NONE, NULL,	\
	  NULL, NULL, NO_KEX }
/* an emulated OpenSSH: KEXINIT host key algorithms `hk` (key types
 * `types`) and key exchange methods `kx` */
#define SSHK(n, ven, prod, ver, cpe, cve, id, hk, kx, types)		\
	{ n, DEV_SSH, "ssh", ven, prod, ver, cpe, cve, id, NULL, NULL,	\
	  "SSH identification string", -1, P_NONE, 0, HOST_NONE, NULL,	\
	  NULL, NULL, hk, kx, types }

/*
 * OpenSSH's defaults (sshd_config(5) of each release): 7.4 offers ssh-rsa
 * beside the SHA-2 RSA signatures (RFC 8332), 8.8 and later no longer
 * ssh-rsa; a server with the usual three host keys (RSA, ECDSA P-256,
 * Ed25519) lists the algorithms of each. 9.x adds sntrup761x25519 and
 * the strict key exchange marker (CVE-2023-48795 counter-measure, 9.6).
 */
#define OSSH74_HK	"ssh-rsa,rsa-sha2-512,rsa-sha2-256," \
			"ecdsa-sha2-nistp256,ssh-ed25519"
#define OSSH74_KX	"curve25519-sha256,curve25519-sha256@libssh.org," \
			"ecdh-sha2-nistp256,ecdh-sha2-nistp384," \
			"ecdh-sha2-nistp521," \
			"diffie-hellman-group-exchange-sha256," \
			"diffie-hellman-group16-sha512," \
			"diffie-hellman-group18-sha512," \
			"diffie-hellman-group-exchange-sha1," \
			"diffie-hellman-group14-sha256," \
			"diffie-hellman-group14-sha1"
#define OSSH96_HK	"rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256," \
			"ssh-ed25519"
#define OSSH96_KX	"sntrup761x25519-sha512@openssh.com," \
			"curve25519-sha256,curve25519-sha256@libssh.org," \
			"ecdh-sha2-nistp256,ecdh-sha2-nistp384," \
			"ecdh-sha2-nistp521," \
			"diffie-hellman-group-exchange-sha256," \
			"diffie-hellman-group16-sha512," \
			"diffie-hellman-group18-sha512," \
			"diffie-hellman-group14-sha256," \
			"kex-strict-s-v00@openssh.com"
#define OSSH_TYPES	"rsa,ecdsa-p256,ed25519"
#define VPN(n, ven, prod, ver, cpe, cve, server, title, ev, portal, gz) \
	{ n, DEV_VPN, "http", ven, prod, ver, cpe, cve, server, NULL,	\
	  title, ev, -1, portal, gz, HOST_NONE, NULL, NULL, NULL, NO_KEX }
#define HOS(n, svc, h)							\
	{ n, DEV_HOSTILE, svc, "", "", "", "", "", NULL, NULL, NULL, "",	\
	  -1, P_NONE, 0, h, NULL, NULL, NULL, NO_KEX }
/*
 * FortiGate 5.x/6.x: the build shows only as the ETag time `t`, and no
 * public table maps such times to versions, so the shipped rules name
 * the product without a version: the truth's "expected" result.
 */
#define FGTE(n, ver, cpe, cve, t)					\
	{ n, DEV_VPN, "http", "Fortinet", "FortiGate SSL-VPN", ver, cpe,	\
	  cve, "xxxxxxxx-xxxxx", NULL, "Please Login", FGT_EV, -1, P_FORTI, \
	  t, HOST_NONE, "FortiGate SSL-VPN", "Fortinet", NULL, NO_KEX }
/* FortiGate 7.x: the login page carries the build's 32-hex string `h` */
#define FGTH(n, ver, cpe, cve, h)					\
	{ n, DEV_VPN, "http", "Fortinet", "FortiGate SSL-VPN", ver, cpe,	\
	  cve, "xxxxxxxx-xxxxx", NULL, "Please Login", FGT7_EV, -1,	\
	  P_FORTI, 0, HOST_NONE, NULL, NULL, h, NO_KEX }

#define FGT_EV	"/remote/login ETag \"SIZE-HEXTIME\": a build time no " \
		"public table maps to a version"
#define FGT7_EV	"/remote/login build hash (first 32 hex digits of the page)"
#define PCS_EV	"/dana-na/nc/nc_gina_ver.txt ProductVersion PARAM (R as a dot)"
#define CTX_EV	"gzip member time (MTIME) of " \
		"/vpn/js/rdx/core/lang/rdx_en.json.gz"
#define GP_EV	"/global-protect/login.esp ETag, last 8 hex = Unix time"
#define SW_EV	"/cgi-bin/welcome CSS/JS asset names " \
		"(/swl_login.VERSION.css, /js/jquery.VERSION.js)"

static const struct dev_svctpl tpls[T_COUNT] = {
	/*
	 * Xiongmai: the DVR's telnetd is BusyBox's with the hostname unset,
	 * so its prompt is the same "(none) login:" as any such Linux box
	 * (T_TEL_DEF); nothing on port 23 names the vendor (the vendor shows
	 * on its web server, "uc-httpd", not emulated here). The truth keeps
	 * the device and says what a survey can honestly report.
	 */
	[T_TEL_XM] = TELG("tel-xiongmai", "Xiongmai", "DVR telnetd", "",
	    "cpe:2.3:h:xiongmaitech:dvr:-:*:*:*:*:*:*:*", "",
	    "\r\n(none) login: ", 0, "Linux telnetd"),
	/* "DVR login:" names the device type, not the vendor (rule
	 * telnet-dvr-login): a survey reports a DVR telnetd, no vendor */
	[T_TEL_DAHUA] = TELG("tel-dahua", "Dahua", "DVR telnetd", "",
	    "cpe:2.3:h:dahuasecurity:dvr:-:*:*:*:*:*:*:*", "",
	    "\r\nDVR login: ", 1, "DVR telnetd"),
	[T_TEL_HI3518] = TEL("tel-hi3518", "HiSilicon",
	    "Hi3518 IP camera telnetd", "",
	    "cpe:2.3:h:hisilicon:hi3518:-:*:*:*:*:*:*:*", "",
	    "\r\nHi3518 login: ", 3),
	/* BusyBox telnetd shows BusyBox's version (rule busybox-banner) */
	[T_TEL_BBROUTER] = TEL("tel-busybox-1.19.4", "BusyBox", "BusyBox",
	    "1.19.4", "cpe:2.3:a:busybox:busybox:1.19.4:*:*:*:*:*:*:*", "",
	    "\r\nBusyBox v1.19.4 (2016-01-14 10:20:31 CST) multi-call "
	    "binary.\r\nrouter login: ", 2),
	/*
	 * ZTE ZXHN home gateways print their model on a line of its own
	 * before "Login:" (cnx-software.com, 2016-10-06, on a ZXHN F600W:
	 * "Telnet is also kind enough to return the modem model number
	 * (F600W)"); rule zte-zxhn-telnet in 10-ssh-telnet.rules.
	 */
	[T_TEL_2323] = TEL("tel-zte-2323", "ZTE", "ZXHN F600W", "",
	    "cpe:2.3:h:zte:zxhn_F600W:-:*:*:*:*:*:*:*", "",
	    "\r\nF600W\r\nLogin: ", 4),
	[T_TEL_DEF] = TEL("tel-generic", "", "Linux telnetd", "",
	    "cpe:2.3:a:busybox:busybox:-:*:*:*:*:*:*:*", "",
	    "\r\n(none) login: ", 5),
	[T_TEL_DLINK] = TEL("tel-dlink", "D-Link", "DCS telnetd", "",
	    "cpe:2.3:h:dlink:dcs-930l:-:*:*:*:*:*:*:*", "",
	    "\r\nDCS-930L login: ", 6),
	[T_HTTP_DLINK] = WEB("http-dlink-dcs930l", "D-Link", "DCS-930L",
	    "", "cpe:2.3:h:dlink:dcs-930l:-:*:*:*:*:*:*:*", "",
	    "Boa/0.94.14rc21", "DCS-930L", "DCS-930L", 2),
	[T_HTTP_GOAHEAD] = WEB("http-goahead-wificam", "Embedthis",
	    "GoAhead", "",
	    "cpe:2.3:a:embedthis:goahead:-:*:*:*:*:*:*:*", "CVE-2017-8225",
	    "GoAhead-Webs", "GoAhead", "IPCAM", 6),
	/* products are named as data/fingerprints names them: the TL-WR740N
	 * names itself "Wireless N Router WR740N" in its Basic realm (rule
	 * tplink-realm) */
	[T_HTTP_TPLINK] = WEB("http-tplink-wr740n", "TP-Link",
	    "Wireless N Router WR740N", "",
	    "cpe:2.3:h:tp-link:tl-wr740n:-:*:*:*:*:*:*:*", "",
	    "mini_httpd/1.19 19dec2003",
	    "TP-LINK Wireless N Router WR740N", "TL-WR740N", 2),
	[T_HTTP_ROUTER] = WEB("http-lighttpd-router", "lighttpd",
	    "lighttpd", "1.4.35",
	    "cpe:2.3:a:lighttpd:lighttpd:1.4.35:*:*:*:*:*:*:*", "",
	    "lighttpd/1.4.35", "Broadband Router", "Broadband Router", 4),
	[T_HTTP_OPEN] = WEB("http-lighttpd-open", "lighttpd", "lighttpd",
	    "1.4.54", "cpe:2.3:a:lighttpd:lighttpd:1.4.54:*:*:*:*:*:*:*", "",
	    "lighttpd/1.4.54", NULL, "Welcome page", -1),
	[T_SSH_74] = SSHK("ssh-openssh-7.4", "OpenBSD", "OpenSSH", "7.4",
	    "cpe:2.3:a:openbsd:openssh:7.4:*:*:*:*:*:*:*", "CVE-2018-15473",
	    "SSH-2.0-OpenSSH_7.4\r\n", OSSH74_HK, OSSH74_KX, OSSH_TYPES),
	[T_SSH_96] = SSHK("ssh-openssh-9.6p1", "OpenBSD", "OpenSSH", "9.6p1",
	    "cpe:2.3:a:openbsd:openssh:9.6:p1:*:*:*:*:*:*", "CVE-2024-6387",
	    "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n", OSSH96_HK,
	    OSSH96_KX, OSSH_TYPES),
	/* the dropbear servers of the DVR and router profiles take the
	 * device's default pair by password (libssh server, devices_ssh.c,
	 * which sends exactly this identification string) */
	[T_SSH_DB2019] = SSH("ssh-dropbear-2019.78", "Dropbear SSH project",
	    "Dropbear sshd", "2019.78",
	    "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2019.78:*:*:*:*:*:*:*",
	    "", "SSH-2.0-dropbear_2019.78\r\n", 4),
	[T_SSH_DB2014] = SSH("ssh-dropbear-2014.63", "Dropbear SSH project",
	    "Dropbear sshd", "2014.63",
	    "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2014.63:*:*:*:*:*:*:*",
	    "CVE-2016-7406", "SSH-2.0-dropbear_2014.63\r\n", 1),
	/*
	 * FortiGate 5.x/6.x: the ETag times are the lab's stand-ins (see the
	 * top of the file); the CVEs are every data/vulns entry the version
	 * falls in, although a survey with the shipped rules cannot tell.
	 */
	[T_FGT_604] = FGTE("fgt-6.0.4", "6.0.4",
	    "cpe:2.3:o:fortinet:fortios:6.0.4:*:*:*:*:*:*:*",
	    "CVE-2018-13379,CVE-2022-42475,CVE-2023-27997", 1548943200u),
	[T_FGT_567] = FGTE("fgt-5.6.7", "5.6.7",
	    "cpe:2.3:o:fortinet:fortios:5.6.7:*:*:*:*:*:*:*",
	    "CVE-2018-13379", 1542204000u),
	[T_FGT_609] = FGTE("fgt-6.0.9", "6.0.9",
	    "cpe:2.3:o:fortinet:fortios:6.0.9:*:*:*:*:*:*:*",
	    "CVE-2022-42475,CVE-2023-27997", 1580911200u),
	[T_FGT_644] = FGTE("fgt-6.4.4", "6.4.4",
	    "cpe:2.3:o:fortinet:fortios:6.4.4:*:*:*:*:*:*:*",
	    "CVE-2022-42475,CVE-2023-27997", 1608213600u),
	/* FortiGate 7.2.2 and 7.2.3: build hashes from Fortigate_GetVersion.py
	 * (top of the file); 7.2.3 fixes CVE-2022-42475 but is still in
	 * CVE-2023-27997's range (7.2.0-7.2.4) */
	[T_FGT_722] = FGTH("fgt-7.2.2", "7.2.2",
	    "cpe:2.3:o:fortinet:fortios:7.2.2:*:*:*:*:*:*:*",
	    "CVE-2022-42475,CVE-2023-27997",
	    "df91004ba8e5e244e7af97a888494774"),
	[T_FGT_723] = FGTH("fgt-7.2.3", "7.2.3",
	    "cpe:2.3:o:fortinet:fortios:7.2.3:*:*:*:*:*:*:*",
	    "CVE-2023-27997", "97a9a8eadad35e7c450cd9aae0848ee7"),
	[T_PCS_901] = VPN("pcs-9.0R1", "Pulse Secure",
	    "Pulse Connect Secure", "9.0R1",
	    "cpe:2.3:a:pulsesecure:pulse_connect_secure:9.0:r1:*:*:*:*:*:*",
	    "CVE-2019-11510", NULL, "Pulse Connect Secure", PCS_EV,
	    P_PULSE, 0),
	[T_PCS_837] = VPN("pcs-8.3R7", "Pulse Secure",
	    "Pulse Connect Secure", "8.3R7",
	    "cpe:2.3:a:pulsesecure:pulse_connect_secure:8.3:r7:*:*:*:*:*:*",
	    "CVE-2019-11510", NULL, "Pulse Connect Secure", PCS_EV,
	    P_PULSE, 0),
	[T_PCS_9034] = VPN("pcs-9.0R3.4", "Pulse Secure",
	    "Pulse Connect Secure", "9.0R3.4",
	    "cpe:2.3:a:pulsesecure:pulse_connect_secure:9.0:r3.4:*:*:*:*:*:*",
	    "", NULL, "Pulse Connect Secure", PCS_EV, P_PULSE, 0),
	/* gzip times: Fox-IT's published rdx_en.json.gz stamps (see the top
	 * of the file): 13.0-41.20 2019-09-10 07:54:45, 12.1-50.28
	 * 2018-11-28 08:56:26, 13.0-47.24 2020-01-20 13:09:05 UTC */
	[T_CTX_130] = VPN("ctx-13.0.41.20", "Citrix", "NetScaler ADC/Gateway",
	    "13.0.41.20",
	    "cpe:2.3:o:citrix:netscaler_gateway_firmware:13.0.41.20:*:*:*:*:*:*:*",
	    "CVE-2019-19781", NULL, "Citrix Gateway", CTX_EV, P_CITRIX,
	    1568102085u),
	[T_CTX_121] = VPN("ctx-12.1.50.28", "Citrix", "NetScaler ADC/Gateway",
	    "12.1.50.28",
	    "cpe:2.3:o:citrix:netscaler_gateway_firmware:12.1.50.28:*:*:*:*:*:*:*",
	    "CVE-2019-19781", NULL, "Citrix Gateway", CTX_EV, P_CITRIX,
	    1543395386u),
	[T_CTX_130F] = VPN("ctx-13.0.47.24", "Citrix", "NetScaler ADC/Gateway",
	    "13.0.47.24",
	    "cpe:2.3:o:citrix:netscaler_gateway_firmware:13.0.47.24:*:*:*:*:*:*:*",
	    "", NULL, "Citrix Gateway", CTX_EV, P_CITRIX, 1579525745u),
	/* ETag times: 14:00 UTC on the panos-scanner table's release days */
	[T_GP_8010] = VPN("gp-8.0.10", "Palo Alto Networks",
	    "GlobalProtect (PAN-OS)", "8.0.10",
	    "cpe:2.3:o:paloaltonetworks:pan-os:8.0.10:*:*:*:*:*:*:*",
	    "CVE-2019-1579", NULL, "GlobalProtect Portal", GP_EV, P_GP,
	    1525442400u),
	[T_GP_8115] = VPN("gp-8.1.15", "Palo Alto Networks",
	    "GlobalProtect (PAN-OS)", "8.1.15",
	    "cpe:2.3:o:paloaltonetworks:pan-os:8.1.15:*:*:*:*:*:*:*", "",
	    NULL, "GlobalProtect Portal", GP_EV, P_GP, 1592056800u),
	/* SMA 100: 10.2.0.2-20sv is before both fixes (CVE-2021-20016 fixed
	 * in 10.2.0.5-29sv, CVE-2021-20038 in 10.2.0.9-41sv); 10.2.1.3-27sv
	 * is the 10.2.1 release that fixed CVE-2021-20038 (SNWLID-2021-0026:
	 * 10.2.1.2-24sv and earlier affected) */
	[T_SW_V] = VPN("sonicwall-10.2.0.2", "SonicWall", "SMA 100 SSL-VPN",
	    "10.2.0.2-20sv",
	    "cpe:2.3:o:sonicwall:sma_100_firmware:10.2.0.2-20sv:*:*:*:*:*:*:*",
	    "CVE-2021-20016,CVE-2021-20038", "SonicWALL SSL-VPN Web Server",
	    "Virtual Office", SW_EV, P_SONICWALL, 0),
	[T_SW_F] = VPN("sonicwall-10.2.1.3", "SonicWall", "SMA 100 SSL-VPN",
	    "10.2.1.3-27sv",
	    "cpe:2.3:o:sonicwall:sma_100_firmware:10.2.1.3-27sv:*:*:*:*:*:*:*",
	    "", "SonicWALL SSL-VPN Web Server", "Virtual Office", SW_EV,
	    P_SONICWALL, 0),
	[T_H_ENDLESS] = HOS("hostile-endless", "telnet", HOST_ENDLESS),
	[T_H_DRIP] = HOS("hostile-drip", "telnet", HOST_DRIP),
	[T_H_RESET] = HOS("hostile-reset", "http", HOST_RESET),
	[T_H_IAC] = HOS("hostile-iacflood", "telnet", HOST_IACFLOOD),
	[T_H_HUGE] = HOS("hostile-hugehdr", "http", HOST_HUGEHDR),
	[T_H_REDIR] = HOS("hostile-redirect", "http", HOST_REDIRECT),
	[T_H_TLS] = HOS("hostile-tlserr", "https", HOST_TLSERR),
};

struct profile {
	const char	*name;
	const char	*type;
	int		 weight;
	int		 tpl[DEV_MAX_PORTS];	/* -1 ends */
	uint16_t	 port[DEV_MAX_PORTS];
};

/* a VPN portal: plain HTTP on `p`, HTTPS on `tp` */
#define VPNP(n, t, p, tp) { n, "vpn", 2, { t, t, -1 }, { p, tp, 0 } }

static const struct profile profiles[] = {
	{ "xiongmai-dvr", "dvr", 10, { T_TEL_XM, -1, -1 }, { 23, 0, 0 } },
	{ "dahua-dvr", "dvr", 8, { T_TEL_DAHUA, T_SSH_DB2014, -1 },
	    { 23, 22, 0 } },
	{ "hi3518-camera", "camera", 8, { T_TEL_HI3518, T_HTTP_GOAHEAD, -1 },
	    { 23, 80, 0 } },
	{ "dlink-camera", "camera", 6, { T_HTTP_DLINK, T_TEL_DLINK, -1 },
	    { 80, 23, 0 } },
	{ "tplink-router", "router", 8, { T_HTTP_TPLINK, T_TEL_BBROUTER, -1 },
	    { 80, 23, 0 } },
	{ "zte-router", "router", 6,
	    { T_TEL_2323, T_HTTP_ROUTER, T_SSH_DB2019 }, { 2323, 8080, 22 } },
	{ "generic-iot", "iot", 6, { T_TEL_DEF, -1, -1 }, { 23, 0, 0 } },
	{ "linux-web", "server", 6, { T_SSH_74, T_HTTP_OPEN, -1 },
	    { 22, 80, 0 } },
	{ "linux-ssh", "server", 6, { T_SSH_96, -1, -1 }, { 22, 0, 0 } },
	VPNP("fortigate-6.0.4", T_FGT_604, 80, 10443),
	VPNP("fortigate-5.6.7", T_FGT_567, 8080, 10443),
	VPNP("fortigate-6.0.9", T_FGT_609, 80, 10443),
	VPNP("fortigate-6.4.4", T_FGT_644, 8080, 10443),
	VPNP("fortigate-7.2.2", T_FGT_722, 80, 10443),
	VPNP("fortigate-7.2.3", T_FGT_723, 8080, 10443),
	VPNP("pulse-9.0R1", T_PCS_901, 80, 443),
	VPNP("pulse-8.3R7", T_PCS_837, 8080, 443),
	VPNP("pulse-9.0R3.4", T_PCS_9034, 80, 443),
	VPNP("citrix-13.0.41.20", T_CTX_130, 80, 443),
	VPNP("citrix-12.1.50.28", T_CTX_121, 8080, 443),
	VPNP("citrix-13.0.47.24", T_CTX_130F, 80, 443),
	VPNP("globalprotect-8.0.10", T_GP_8010, 80, 443),
	VPNP("globalprotect-8.1.15", T_GP_8115, 8080, 443),
	VPNP("sonicwall-10.2.0.2", T_SW_V, 80, 443),
	VPNP("sonicwall-10.2.1.3", T_SW_F, 8080, 443),
};

static const struct profile hostiles[] = {
	{ "hostile-endless", "hostile", 1, { T_H_ENDLESS, -1, -1 },
	    { 23, 0, 0 } },
	{ "hostile-drip", "hostile", 1, { T_H_DRIP, -1, -1 },
	    { 2323, 0, 0 } },
	{ "hostile-reset", "hostile", 1, { T_H_RESET, -1, -1 },
	    { 80, 0, 0 } },
	{ "hostile-iacflood", "hostile", 1, { T_H_IAC, -1, -1 },
	    { 23, 0, 0 } },
	{ "hostile-hugehdr", "hostile", 1, { T_H_HUGE, -1, -1 },
	    { 8080, 0, 0 } },
	{ "hostile-redirect", "hostile", 1, { T_H_REDIR, -1, -1 },
	    { 80, 0, 0 } },
	{ "hostile-tlserr", "hostile", 1, { T_H_TLS, -1, -1 },
	    { 443, 0, 0 } },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct dev_cred *
devices_creds(size_t *n)
{
	if (n != NULL)
		*n = NELEM(creds);
	return creds;
}

const struct dev_svctpl *
devices_templates(size_t *n)
{
	if (n != NULL)
		*n = NELEM(tpls);
	return tpls;
}

int
devices_svc_tls(const struct dev_service *s)
{
	return tpls[s->tpl].kind == DEV_VPN &&
	    (s->port == 443 || s->port == 10443);
}

int
devices_svc_sshlogin(const struct dev_service *s)
{
	return tpls[s->tpl].kind == DEV_SSH && tpls[s->tpl].cred >= 0;
}

const char *
devices_real_name(enum dev_realkind k)
{
	switch (k) {
	case REAL_LIGHTTPD_BASIC:
		return "lighttpd-basic";
	case REAL_LIGHTTPD_DIGEST:
		return "lighttpd-digest";
	case REAL_DROPBEAR:
		return "dropbear";
	default:
		return "";
	}
}

/* 1 if `a` is a planned device (p->dev is sorted by address). */
static int
plan_has(const struct dev_plan *p, uint32_t a)
{
	size_t lo = 0, hi = p->ndev, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p->dev[mid].addr == a)
			return 1;
		if (p->dev[mid].addr < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
devplan_add_real(struct dev_plan *p, enum dev_realkind kind,
    const char *version, struct mm_diag *diag)
{
	struct dev_real *r;
	uint64_t i, n;
	uint32_t a;
	size_t k;
	const char *v;

	if (kind < REAL_LIGHTTPD_BASIC || kind >= REAL_NKINDS ||
	    version == NULL || *version == '\0' || strlen(version) >= 32)
		return mm_diag_set(diag, MM_EINVAL, "devices: real server: "
		    "bad kind or version");
	for (v = version; *v != '\0'; v++)
		if (strchr("0123456789abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.+~-", *v) == NULL)
			return mm_diag_set(diag, MM_EINVAL, "devices: real "
			    "server %s: bad version '%s'",
			    devices_real_name(kind), version);
	for (k = 0; k < p->nreal; k++)
		if (p->real[k].kind == kind)
			return mm_diag_set(diag, MM_EINVAL, "devices: real "
			    "server %s added twice", devices_real_name(kind));
	if (p->nreal >= DEV_MAX_REAL)
		return mm_diag_set(diag, MM_ELIMIT, "devices: at most %d "
		    "real servers", DEV_MAX_REAL);
	n = (uint64_t)p->naddrs;
	for (i = n; i > 0; i--) {
		a = p->conf.net + (uint32_t)(i - 1);
		if ((a & 0xff) == 0 || (a & 0xff) == 255 || plan_has(p, a))
			continue;
		for (k = 0; k < p->nreal && p->real[k].addr != a; k++)
			;
		if (k == p->nreal)
			break;
	}
	if (i == 0)
		return mm_diag_set(diag, MM_ELIMIT, "devices: no free address "
		    "in the range for real server %s",
		    devices_real_name(kind));
	r = &p->real[p->nreal++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->addr = a;
	snprintf(r->version, sizeof(r->version), "%s", version);
	switch (kind) {
	case REAL_LIGHTTPD_BASIC:
		r->port = 80;
		r->cred = 9;		/* mirai-10 admin/password */
		break;
	case REAL_LIGHTTPD_DIGEST:
		r->port = 80;
		r->cred = 6;		/* mirai-07 admin/1234 */
		break;
	default:
		r->port = 22;
		r->cred = -1;
		break;
	}
	return 0;
}

const char *
devices_hostile_name(enum dev_hostile h)
{
	static const char *names[HOST_NKINDS] = {
		"", "endless", "drip", "reset", "iacflood", "hugehdr",
		"redirect", "tlserr"
	};

	if ((int)h < 0 || h >= HOST_NKINDS)
		return "";
	return names[h];
}

int
devices_parse_range(const char *s, uint32_t *net, int *plen,
    struct mm_diag *diag)
{
	char buf[32], *slash, *end;
	struct in_addr a;
	unsigned long l;
	uint32_t v, mask;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return mm_diag_set(diag, MM_ESYNTAX, "range: expected "
		    "127.A.B.C/LEN");
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) == NULL)
		return mm_diag_set(diag, MM_ESYNTAX, "range '%s': expected "
		    "127.A.B.C/LEN", s);
	*slash++ = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return mm_diag_set(diag, MM_ESYNTAX, "range '%s': bad IPv4 "
		    "address", s);
	errno = 0;
	l = strtoul(slash, &end, 10);
	if (*slash == '\0' || *end != '\0' || errno != 0 || l > 32)
		return mm_diag_set(diag, MM_ESYNTAX, "range '%s': bad prefix "
		    "length", s);
	v = ntohl(a.s_addr);
	if (l < 8 || (v >> 24) != 127)
		return mm_diag_set(diag, MM_EINVAL, "range '%s': not inside "
		    "127.0.0.0/8 (the lab binds loopback only)", s);
	if (l < 16)
		return mm_diag_set(diag, MM_ERANGE, "range '%s': at most a "
		    "/16 (%d addresses)", s, DEV_MAX_ADDRS);
	mask = l == 32 ? 0xffffffffu : ~(0xffffffffu >> l);
	if ((v & ~mask) != 0)
		return mm_diag_set(diag, MM_ESYNTAX, "range '%s': host bits "
		    "set", s);
	*net = v;
	*plen = (int)l;
	return 0;
}

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const struct profile *
pick_profile(uint64_t r)
{
	size_t i;
	int total = 0;

	for (i = 0; i < NELEM(profiles); i++)
		total += profiles[i].weight;
	r %= (uint64_t)total;
	for (i = 0; i < NELEM(profiles); i++) {
		if (r < (uint64_t)profiles[i].weight)
			return &profiles[i];
		r -= (uint64_t)profiles[i].weight;
	}
	return &profiles[0];
}

/* 1 if `addr` is on the fixed list; O(nfixed), nfixed <= DEV_MAX_FIXED. */
static int
plan_is_fixed(const struct dev_conf *c, uint32_t addr)
{
	size_t i;

	for (i = 0; i < c->nfixed; i++)
		if (c->fixed[i] == addr)
			return 1;
	return 0;
}

int
devplan_new(const struct dev_conf *c, struct dev_plan **out,
    struct mm_diag *diag)
{
	struct dev_plan *p = NULL;
	const struct profile *pr;
	struct dev_device *d;
	uint64_t x, n, i;
	uint32_t addr;
	int k, rc = MM_ENOMEM;

	*out = NULL;
	if (c == NULL || c->plen < 16 || c->plen > 32 ||
	    (c->net >> 24) != 127 || c->live_pct < 0 || c->live_pct > 100 ||
	    c->hostile_pct < 0 || c->hostile_pct > 100 ||
	    c->nfixed > DEV_MAX_FIXED || (c->nfixed > 0 && c->fixed == NULL))
		return mm_diag_set(diag, MM_EINVAL, "devices: bad plan "
		    "configuration (range must be a /16../32 inside "
		    "127.0.0.0/8, percentages 0..100)");
	n = (uint64_t)1 << (32 - c->plen);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	p->conf = *c;
	p->naddrs = (size_t)n;
	/* worst case: every address live with DEV_MAX_PORTS ports */
	for (i = 0; i < n; i++) {
		addr = c->net + (uint32_t)i;
		if ((addr & 0xff) == 0 || (addr & 0xff) == 255)
			continue;
		x = c->seed ^ ((uint64_t)addr * 0x9e3779b97f4a7c15ULL);
		if (splitmix(&x) % 10000 >= (uint64_t)c->live_pct * 100)
			continue;
		if (plan_is_fixed(c, addr))
			continue;
		if (splitmix(&x) % 100 < (uint64_t)c->hostile_pct)
			pr = &hostiles[splitmix(&x) % NELEM(hostiles)];
		else
			pr = pick_profile(splitmix(&x));
		if ((p->ndev & (p->ndev + 1)) == 0 || p->ndev == 0) {
			/* grow at 0, 1, 3, 7, ...: capacity ndev*2+2 */
			void *nd = realloc(p->dev, (p->ndev * 2 + 2) *
			    sizeof(*p->dev));
			void *ns;

			if (nd == NULL)
				goto fail;
			p->dev = nd;
			ns = realloc(p->svc, (p->ndev * 2 + 2) *
			    DEV_MAX_PORTS * sizeof(*p->svc));
			if (ns == NULL)
				goto fail;
			p->svc = ns;
		}
		d = &p->dev[p->ndev++];
		d->addr = addr;
		d->type = pr->type;
		d->profile = pr->name;
		d->svc = p->nsvc;
		d->nsvc = 0;
		for (k = 0; k < DEV_MAX_PORTS && pr->tpl[k] >= 0; k++) {
			p->svc[p->nsvc].addr = addr;
			p->svc[p->nsvc].port = pr->port[k];
			p->svc[p->nsvc].tpl = (uint16_t)pr->tpl[k];
			p->nsvc++;
			d->nsvc++;
		}
	}
	*out = p;
	return 0;
fail:
	devplan_free(p);
	return mm_diag_set(diag, rc, "devices: out of memory");
}

void
devplan_free(struct dev_plan *p)
{
	if (p == NULL)
		return;
	free(p->dev);
	free(p->svc);
	free(p);
}

/* Appends `v` as a JSON string. */
static void
sb_str(struct strbuf *s, const char *v)
{
	const unsigned char *p;

	strbuf_printf(s, "\"");
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_printf(s, "\\%c", *p);
		else if (*p < 0x20)
			strbuf_printf(s, "\\u%04x", *p);
		else
			strbuf_printf(s, "%c", *p);
	}
	strbuf_printf(s, "\"");
}

static void
fmt_addr(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", (unsigned)(a >> 24),
	    (unsigned)((a >> 16) & 0xff), (unsigned)((a >> 8) & 0xff),
	    (unsigned)(a & 0xff));
}

/* ",credential_id":... and, with `secrets`, the pair. */
static void
sb_cred(struct strbuf *s, int cred, int secrets)
{
	strbuf_printf(s, ",\"credential_id\":");
	if (cred < 0) {
		strbuf_printf(s, "null");
		return;
	}
	sb_str(s, creds[cred].id);
	if (secrets) {
		strbuf_printf(s, ",\"credential_secret\":{\"test_only\":true,"
		    "\"user\":");
		sb_str(s, creds[cred].user);
		strbuf_printf(s, ",\"password\":");
		sb_str(s, creds[cred].pass);
		strbuf_printf(s, "}");
	}
}

/* One truth entry for a real server; vendor, product and CPE as the
 * rules lighttpd and dropbear of data/fingerprints report them. */
static void
real_json(struct strbuf *s, const struct dev_real *r, int first, int secrets)
{
	char a[16];
	int httpd = r->kind != REAL_DROPBEAR;

	fmt_addr(r->addr, a, sizeof(a));
	strbuf_printf(s, "%s\n{\"addr\":\"%s\",\"port\":%u,\"device\":\"real-%s\","
	    "\"device_type\":\"server\",\"template\":\"real-%s\","
	    "\"service\":\"%s\",", first ? "" : ",", a, (unsigned)r->port,
	    devices_real_name(r->kind), httpd ? "lighttpd" : "dropbear",
	    httpd ? "http" : "ssh");
	if (httpd) {
		strbuf_printf(s, "\"vendor\":\"lighttpd\",\"product\":\"lighttpd\","
		    "\"version\":\"%s\",\"cpe\":\"cpe:2.3:a:lighttpd:lighttpd:"
		    "%s:*:*:*:*:*:*:*\",\"cves\":[],\"auth\":\"%s\","
		    "\"realm\":\"%s\",\"server\":\"lighttpd/%s\","
		    "\"version_evidence\":\"Server header\"", r->version,
		    r->version, r->kind == REAL_LIGHTTPD_BASIC ? "basic" :
		    "digest", r->kind == REAL_LIGHTTPD_BASIC ?
		    DEV_REAL_REALM_BASIC : DEV_REAL_REALM_DIGEST, r->version);
	} else {
		strbuf_printf(s, "\"vendor\":\"Dropbear SSH project\",\"product\":"
		    "\"Dropbear sshd\",\"version\":\"%s\",\"cpe\":\"cpe:2.3:"
		    "a:dropbear_ssh_project:dropbear_ssh:%s:*:*:*:*:*:*:*\","
		    "\"cves\":[],\"auth\":null,\"banner\":\"SSH-2.0-dropbear_%s"
		    "\\r\\n\",\"version_evidence\":\"SSH identification "
		    "string\"", r->version, r->version, r->version);
	}
	sb_cred(s, r->cred, secrets);
	strbuf_printf(s, ",\"identifiable\":true,\"real\":true,\"hostile\":null}");
}

int
devices_listen(const struct dev_service *s, int *fd, struct mm_diag *diag)
{
	struct sockaddr_in sin;
	char a[16];
	int one = 1, k;

	*fd = -1;
	fmt_addr(s->addr, a, sizeof(a));
	if ((s->addr >> 24) != 127)
		return mm_diag_set(diag, MM_EINVAL, "devices: %s is not "
		    "loopback", a);
	if ((k = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return mm_diag_set(diag, MM_EIO, "socket: %s",
		    strerror(errno));
	(void)setsockopt(k, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(s->port);
	sin.sin_addr.s_addr = htonl(s->addr);
	if (bind(k, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(k, 128) == -1) {
		mm_diag_set(diag, MM_EIO, "bind %s:%u: %s", a,
		    (unsigned)s->port, strerror(errno));
		close(k);
		return MM_EIO;
	}
	*fd = k;
	return 0;
}

int
devplan_truth_json(const struct dev_plan *p, int secrets, char **buf,
    size_t *len)
{
	struct strbuf s = STRBUF_INIT;
	const struct dev_device *d;
	const struct dev_svctpl *t;
	const char *c, *e;
	char a[16];
	size_t i, j;
	int first;

	fmt_addr(p->conf.net, a, sizeof(a));
	strbuf_printf(&s, "{\"generator\":\"devices\",\"format\":1,\"seed\":%"
	    PRIu64 ",\"range\":\"%s/%d\",\"addresses\":%zu,\"live_pct\":%d,"
	    "\"hostile_pct\":%d,\"devices\":%zu,\"ports\":%zu,"
	    "\"secrets\":%s,\"fixed\":[", p->conf.seed, a, p->conf.plen,
	    p->naddrs, p->conf.live_pct, p->conf.hostile_pct,
	    p->ndev + p->nreal, p->nsvc + p->nreal,
	    secrets ? "true" : "false");
	for (i = 0; i < p->conf.nfixed; i++) {
		fmt_addr(p->conf.fixed[i], a, sizeof(a));
		strbuf_printf(&s, "%s\"%s\"", i == 0 ? "" : ",", a);
	}
	strbuf_printf(&s, "],\"services\":[");
	for (i = 0; i < p->ndev; i++) {
		d = &p->dev[i];
		fmt_addr(d->addr, a, sizeof(a));
		for (j = d->svc; j < d->svc + d->nsvc; j++) {
			t = &tpls[p->svc[j].tpl];
			strbuf_printf(&s, "%s\n{\"addr\":\"%s\",\"port\":%u,"
			    "\"device\":", j == 0 ? "" : ",", a,
			    (unsigned)p->svc[j].port);
			sb_str(&s, d->profile);
			strbuf_printf(&s, ",\"device_type\":");
			sb_str(&s, d->type);
			strbuf_printf(&s, ",\"template\":");
			sb_str(&s, t->name);
			strbuf_printf(&s, ",\"service\":");
			sb_str(&s, devices_svc_tls(&p->svc[j]) ? "https" :
			    t->service);
			strbuf_printf(&s, ",\"vendor\":");
			sb_str(&s, t->vendor);
			strbuf_printf(&s, ",\"product\":");
			sb_str(&s, t->product);
			strbuf_printf(&s, ",\"version\":");
			sb_str(&s, t->version);
			strbuf_printf(&s, ",\"cpe\":");
			sb_str(&s, t->cpe);
			strbuf_printf(&s, ",\"cves\":[");
			first = 1;
			for (c = t->cves; *c != '\0'; c = *e ? e + 1 : e) {
				e = strchr(c, ',');
				if (e == NULL)
					e = c + strlen(c);
				strbuf_printf(&s, "%s\"%.*s\"", first ? "" : ",",
				    (int)(e - c), c);
				first = 0;
			}
			strbuf_printf(&s, "],\"auth\":");
			if (t->kind == DEV_HTTP && t->realm != NULL) {
				strbuf_printf(&s, "\"basic\",\"realm\":");
				sb_str(&s, t->realm);
			} else if (t->kind == DEV_TELNET)
				strbuf_printf(&s, "\"telnet-login\"");
			else if (t->kind == DEV_SSH && t->cred >= 0)
				strbuf_printf(&s, "\"ssh-password\"");
			else
				strbuf_printf(&s, "null");
			if (t->title != NULL) {
				strbuf_printf(&s, ",\"title\":");
				sb_str(&s, t->title);
			}
			if (t->kind == DEV_SSH || (t->text != NULL &&
			    (t->kind == DEV_HTTP || t->kind == DEV_VPN))) {
				strbuf_printf(&s, t->kind == DEV_SSH ?
				    ",\"banner\":" : ",\"server\":");
				sb_str(&s, t->text);
			}
			if (devices_svc_tls(&p->svc[j])) {
				strbuf_printf(&s, ",\"tls_subject\":{\"O\":");
				sb_str(&s, t->vendor);
				strbuf_printf(&s, ",\"CN\":");
				sb_str(&s, t->product);
				strbuf_printf(&s, "}");
			}
			if (t->kind == DEV_VPN && t->gzmtime != 0)
				strbuf_printf(&s, ",\"%s\":%" PRIu32,
				    t->portal == P_CITRIX ? "gzip_mtime" :
				    "etag_time", t->gzmtime);
			if (t->build_hash != NULL) {
				strbuf_printf(&s, ",\"build_hash\":");
				sb_str(&s, t->build_hash);
			}
			/* the host key types of an SSH server: the emulator's
			 * KEXINIT, or the libssh servers' ed25519 key */
			if (t->kind == DEV_SSH) {
				strbuf_printf(&s, ",\"hostkey\":");
				sb_str(&s, t->ssh_hostkey != NULL ?
				    t->ssh_hostkey : "ed25519");
			}
			strbuf_printf(&s, ",\"version_evidence\":");
			sb_str(&s, t->evidence);
			sb_cred(&s, t->cred, secrets);
			strbuf_printf(&s, ",\"identifiable\":%s",
			    t->generic == NULL ? "true" : "false");
			if (t->generic != NULL) {
				strbuf_printf(&s, ",\"expected\":{\"service\":");
				sb_str(&s, devices_svc_tls(&p->svc[j]) ?
				    "https" : t->service);
				strbuf_printf(&s, ",\"vendor\":");
				sb_str(&s, t->generic_vendor != NULL ?
				    t->generic_vendor : "");
				strbuf_printf(&s, ",\"product\":");
				sb_str(&s, t->generic);
				strbuf_printf(&s, ",\"version\":\"\"}");
			}
			strbuf_printf(&s, ",\"real\":false,\"hostile\":");
			if (t->hostile != HOST_NONE)
				sb_str(&s, devices_hostile_name(t->hostile));
			else
				strbuf_printf(&s, "null");
			strbuf_printf(&s, "}");
		}
	}
	for (i = 0; i < p->nreal; i++)
		real_json(&s, &p->real[i], p->nsvc + i == 0, secrets);
	strbuf_printf(&s, "\n]}\n");
	return strbuf_take(&s, buf, len);
}
