/* test_emit.c: unit tests of the generic CSV / JSON emitter (lib/export).
 *
 * Records are built in memory as protobuf-c structs and printed into an
 * open_memstream buffer; the expected text follows docs/csv-json.md. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/emit.h"
#include "netcap.pb-c.h"

/* Prints msg (after its header line, if header) with the given settings;
 * select may be NULL. Returns the text, to be freed. */
static char *render(const ProtobufCMessage *msg, enum emit_format format, char sep,
		    bool utc, const char *select, bool header)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	cr_assert_not_null(out);
	struct emitter e;
	emit_init(&e, out);
	e.format = format;
	e.sep = sep;
	e.utc = utc;
	char err[1024];
	if (select)
		cr_assert_eq(emit_select(&e, msg->descriptor, select, err, sizeof err), 0, "%s", err);
	if (header)
		cr_assert_eq(emit_header_line(&e, msg->descriptor), 0);
	cr_assert_eq(emit_record(&e, msg), 0);
	emit_free(&e);
	cr_assert_eq(fclose(out), 0);
	return text;
}

static char *csv(const ProtobufCMessage *msg, const char *select)
{
	return render(msg, EMIT_CSV, ',', false, select, false);
}

static char *json(const ProtobufCMessage *msg, const char *select)
{
	return render(msg, EMIT_JSON, ',', false, select, false);
}

/* Compares and frees got; want is the line without its "\n". */
static void expect_line(char *got, const char *want)
{
	size_t n = strlen(got);
	cr_expect(n > 0 && got[n - 1] == '\n', "line not ended by \\n: [%s]", got);
	if (n > 0)
		got[n - 1] = '\0';
	cr_expect_str_eq(got, want);
	free(got);
}

Test(emit, csv_header_in_field_number_order)
{
	Types__UDP udp = TYPES__UDP__INIT;
	char *text = render(&udp.base, EMIT_CSV, ',', false, NULL, true);
	cr_expect_str_eq(text,
			 "Timestamp,SrcPort,DstPort,Length,Checksum,PayloadEntropy,PayloadSize,"
			 "Payload,SrcIP,DstIP,Truncated\n"
			 "0,0,0,0,0,0,0,,,,false\n");
	free(text);
}

Test(emit, csv_quotes_separator_and_quote)
{
	Types__UDP udp = TYPES__UDP__INIT;
	udp.srcip = "a,b";
	udp.dstip = "say \"hi\"";
	expect_line(csv(&udp.base, "SrcIP,DstIP"), "\"a,b\",\"say \"\"hi\"\"\"");
	/* Line breaks are escaped, so they never need quotes: one record,
	 * one line, whatever it holds. */
	udp.srcip = "line\nbreak";
	udp.dstip = "carriage\rreturn";
	expect_line(csv(&udp.base, "SrcIP,DstIP"), "line\\x0abreak,carriage\\x0dreturn");
	udp.srcip = "plain";
	udp.dstip = "";
	expect_line(csv(&udp.base, "SrcIP,DstIP"), "plain,");
}

Test(emit, tsv_escapes_tabs_in_values)
{
	Types__UDP udp = TYPES__UDP__INIT;
	udp.srcip = "a,b";
	udp.dstip = "c\td";
	char *text = render(&udp.base, EMIT_CSV, '\t', false, "SrcIP,DstIP", true);
	cr_expect_str_eq(text, "SrcIP\tDstIP\na,b\tc\\x09d\n");
	free(text);
}

#define FFFD "\xEF\xBF\xBD"
static const struct {
	const char *in, *want;
} utf8_cases[] = {
	{"a\x80" "b", "a" FFFD "b"},                  /* lone continuation byte */
	{"x\xE2\x82", "x" FFFD FFFD},                 /* truncated at the end */
	{"\xE2\x82" "A", FFFD FFFD "A"},              /* truncated by ASCII */
	{"\xC0\xAF", FFFD FFFD},                      /* overlong '/' */
	{"\xE0\x80\xAF", FFFD FFFD FFFD},             /* overlong, 3 bytes */
	{"\xFF" "z", FFFD "z"},                       /* never valid */
	{"\xED\xA0\x80", FFFD FFFD FFFD},             /* UTF-16 surrogate */
	{"\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD},    /* above U+10FFFF */
	{"h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
};
#undef FFFD

Test(emit, invalid_utf8_replaced_in_csv)
{
	for (size_t i = 0; i < sizeof utf8_cases / sizeof *utf8_cases; i++) {
		Types__UDP udp = TYPES__UDP__INIT;
		udp.srcip = (char *)utf8_cases[i].in;
		expect_line(csv(&udp.base, "SrcIP"), utf8_cases[i].want);
	}
}

Test(emit, invalid_utf8_replaced_in_json)
{
	for (size_t i = 0; i < sizeof utf8_cases / sizeof *utf8_cases; i++) {
		Types__UDP udp = TYPES__UDP__INIT;
		udp.srcip = (char *)utf8_cases[i].in;
		char want[128];
		snprintf(want, sizeof want, "{\"SrcIP\":\"%s\"}", utf8_cases[i].want);
		expect_line(json(&udp.base, "SrcIP"), want);
	}
}

Test(emit, invalid_utf8_replaced_in_compact_form)
{
	Types__SIP sip = TYPES__SIP__INIT;
	char *headers[] = {"ok", "bad\xFF"};
	sip.n_headers = 2;
	sip.headers = headers;
	expect_line(csv(&sip.base, "Headers"), "[ok|bad\xEF\xBF\xBD]");
}

/* Two TCPOption entries: repeated nested messages, bytes as hex. */
Test(emit, compact_repeated_nested)
{
	uint8_t mss[] = {0x05, 0xb4};
	Types__TCPOption opt1 = TYPES__TCPOPTION__INIT, opt2 = TYPES__TCPOPTION__INIT;
	opt1.optiontype = 2;
	opt1.optionlength = 4;
	opt1.optiondata = (ProtobufCBinaryData){sizeof mss, mss};
	opt2.optiontype = 1;
	opt2.optionlength = 1;
	Types__TCPOption *opts[] = {&opt1, &opt2};
	Types__TCP tcp = TYPES__TCP__INIT;
	tcp.srcport = 443;
	tcp.n_options = 2;
	tcp.options = opts;
	expect_line(csv(&tcp.base, "SrcPort,Options"), "443,[(2;4;05b4)|(1;1;)]");
	expect_line(json(&tcp.base, "SrcPort,Options"),
		    "{\"SrcPort\":443,\"Options\":[{\"OptionType\":2,\"OptionLength\":4,"
		    "\"OptionData\":\"05b4\"},{\"OptionType\":1,\"OptionLength\":1,"
		    "\"OptionData\":\"\"}]}");
	tcp.n_options = 0;
	tcp.options = NULL;
	expect_line(csv(&tcp.base, "Options"), "[]");
	expect_line(json(&tcp.base, "Options"), "{\"Options\":[]}");
}

/* Answers with and without a nested SOA, repeated bytes, and names that
 * need the compact form's escapes or (the ',') CSV quoting of the cell. */
static void dns_fixture(Types__DNS *dns, Types__DNSResourceRecord *a1,
			Types__DNSResourceRecord *a2, Types__DNSSOA *soa,
			Types__DNSResourceRecord **answers, ProtobufCBinaryData *txts)
{
	*soa = (Types__DNSSOA)TYPES__DNSSOA__INIT;
	soa->mname = (ProtobufCBinaryData){3, (uint8_t *)"ns1"};
	soa->rname = (ProtobufCBinaryData){1, (uint8_t *)"r"};
	soa->serial = 7;
	*a1 = (Types__DNSResourceRecord)TYPES__DNSRESOURCE_RECORD__INIT;
	a1->name = "a;b(c)|[d]\\e";
	a1->type = 6;
	a1->class_ = 1;
	a1->ttl = 60;
	a1->soa = soa;
	*a2 = (Types__DNSResourceRecord)TYPES__DNSRESOURCE_RECORD__INIT;
	a2->name = "x,y";
	a2->ip = "10.0.0.1";
	txts[0] = (ProtobufCBinaryData){1, (uint8_t *)"\x01"};
	txts[1] = (ProtobufCBinaryData){2, (uint8_t *)"\xab\xcd"};
	a2->n_txts = 2;
	a2->txts = txts;
	answers[0] = a1;
	answers[1] = a2;
	*dns = (Types__DNS)TYPES__DNS__INIT;
	dns->id = 9;
	dns->n_answers = 2;
	dns->answers = answers;
}

Test(emit, compact_nested_soa_and_escapes)
{
	Types__DNS dns;
	Types__DNSResourceRecord a1, a2, *answers[2];
	Types__DNSSOA soa;
	ProtobufCBinaryData txts[2];
	dns_fixture(&dns, &a1, &a2, &soa, answers, txts);
	/* DNSResourceRecord: Name;Type;Class;TTL;DataLength;Data;IP;NS;CNAME;
	 * PTR;SOA;SRV;MX;TXTs. DNSSOA: MName;RName;Serial;Refresh;Retry;
	 * Expire;Minimum. The ',' in "x,y" makes the whole cell quoted. */
	expect_line(csv(&dns.base, "ID,Answers,Questions"),
		    "9,\"[(a\\;b\\(c\\)\\|\\[d\\]\\\\e;6;1;60;0;;;;;;(6e7331;72;7;0;0;0;0);;;[])|"
		    "(x,y;0;0;0;0;;10.0.0.1;;;;;;;[01|abcd])]\",[]");
}

Test(emit, json_nested_null_and_objects)
{
	Types__DNS dns;
	Types__DNSResourceRecord a1, a2, *answers[2];
	Types__DNSSOA soa;
	ProtobufCBinaryData txts[2];
	dns_fixture(&dns, &a1, &a2, &soa, answers, txts);
	expect_line(json(&dns.base, "Answers"),
		    "{\"Answers\":[{\"Name\":\"a;b(c)|[d]\\\\e\",\"Type\":6,\"Class\":1,\"TTL\":60,"
		    "\"DataLength\":0,\"Data\":\"\",\"IP\":\"\",\"NS\":\"\",\"CNAME\":\"\",\"PTR\":\"\","
		    "\"SOA\":{\"MName\":\"6e7331\",\"RName\":\"72\",\"Serial\":7,\"Refresh\":0,"
		    "\"Retry\":0,\"Expire\":0,\"Minimum\":0},\"SRV\":null,\"MX\":null,\"TXTs\":[]},"
		    "{\"Name\":\"x,y\",\"Type\":0,\"Class\":0,\"TTL\":0,\"DataLength\":0,\"Data\":\"\","
		    "\"IP\":\"10.0.0.1\",\"NS\":\"\",\"CNAME\":\"\",\"PTR\":\"\",\"SOA\":null,"
		    "\"SRV\":null,\"MX\":null,\"TXTs\":[\"01\",\"abcd\"]}]}");
}

/* protobuf-c represents map<string,string> as repeated key/value entries. */
Test(emit, maps_print_as_repeated_entries)
{
	Types__HTTP__RequestHeaderEntry e1 = TYPES__HTTP__REQUEST_HEADER_ENTRY__INIT;
	Types__HTTP__RequestHeaderEntry e2 = TYPES__HTTP__REQUEST_HEADER_ENTRY__INIT;
	e1.key = "Host";
	e1.value = "example.com";
	e2.key = "Accept";
	e2.value = "text/html;q=0.9";
	Types__HTTP__RequestHeaderEntry *entries[] = {&e1, &e2};
	Types__HTTP http = TYPES__HTTP__INIT;
	http.n_requestheader = 2;
	http.requestheader = entries;
	expect_line(csv(&http.base, "RequestHeader,ResponseHeader"),
		    "[(Host;example.com)|(Accept;text/html\\;q=0.9)],[]");
	expect_line(json(&http.base, "RequestHeader"),
		    "{\"RequestHeader\":[{\"key\":\"Host\",\"value\":\"example.com\"},"
		    "{\"key\":\"Accept\",\"value\":\"text/html;q=0.9\"}]}");
}

Test(emit, json_every_field_and_escapes)
{
	Types__UDP udp = TYPES__UDP__INIT;
	udp.timestamp = -5;
	udp.srcport = 53;
	udp.payloadentropy = 2.5;
	uint8_t payload[] = {0x00, 0xab, 0xff};
	udp.payload = (ProtobufCBinaryData){sizeof payload, payload};
	udp.srcip = "q\"b\\s\n\x01\x1f/\x7f";
	expect_line(json(&udp.base, "Timestamp,SrcPort,DstPort,Length,Checksum,PayloadEntropy,"
			 "PayloadSize,Payload,SrcIP,DstIP"),
		    "{\"Timestamp\":-5,\"SrcPort\":53,\"DstPort\":0,\"Length\":0,\"Checksum\":0,"
		    "\"PayloadEntropy\":2.5,\"PayloadSize\":0,\"Payload\":\"00abff\","
		    "\"SrcIP\":\"q\\\"b\\\\s\\u000a\\u0001\\u001f/\\u007f\",\"DstIP\":\"\"}");
}

Test(emit, json_integers_bools_enums)
{
	Types__TCP tcp = TYPES__TCP__INIT;
	tcp.seqnum = 4294967295u;
	tcp.syn = 1;
	tcp.srcport = -1;
	expect_line(json(&tcp.base, "SeqNum,SYN,FIN,SrcPort"),
		    "{\"SeqNum\":4294967295,\"SYN\":true,\"FIN\":false,\"SrcPort\":-1}");
	Types__Header hdr = TYPES__HEADER__INIT;
	hdr.type = TYPES__TYPE__NC_TCP;
	expect_line(json(&hdr.base, "Type"), "{\"Type\":\"NC_TCP\"}");
	expect_line(csv(&hdr.base, "Type"), "NC_TCP");
	hdr.type = 9999; /* a value this schema does not know: its number */
	expect_line(json(&hdr.base, "Type"), "{\"Type\":9999}");
	expect_line(csv(&hdr.base, "Type"), "9999");
	Types__NTP ntp = TYPES__NTP__INIT;
	ntp.referencetimestamp = UINT64_MAX;
	expect_line(json(&ntp.base, "ReferenceTimestamp"),
		    "{\"ReferenceTimestamp\":18446744073709551615}");
}

Test(emit, hex_bytes_lowercase)
{
	Types__UDP udp = TYPES__UDP__INIT;
	uint8_t payload[] = {0xDE, 0xAD, 0x00, 0x0F, 0xF0};
	udp.payload = (ProtobufCBinaryData){sizeof payload, payload};
	expect_line(csv(&udp.base, "Payload"), "dead000ff0");
}

static char *timestamp_utc(int64_t ns, enum emit_format format)
{
	Types__UDP udp = TYPES__UDP__INIT;
	udp.timestamp = ns;
	return render(&udp.base, format, ',', true, "Timestamp", false);
}

Test(emit, rfc3339_utc_nanoseconds)
{
	expect_line(timestamp_utc(1549166706123456789, EMIT_CSV), "2019-02-03T04:05:06.123456789Z");
	expect_line(timestamp_utc(0, EMIT_CSV), "1970-01-01T00:00:00.000000000Z");
	expect_line(timestamp_utc(1, EMIT_CSV), "1970-01-01T00:00:00.000000001Z");
	expect_line(timestamp_utc(-1, EMIT_CSV), "1969-12-31T23:59:59.999999999Z");
	expect_line(timestamp_utc(-1000000000, EMIT_CSV), "1969-12-31T23:59:59.000000000Z");
	expect_line(timestamp_utc(INT64_MAX, EMIT_CSV), "2262-04-11T23:47:16.854775807Z");
	expect_line(timestamp_utc(INT64_MIN, EMIT_CSV), "1677-09-21T00:12:43.145224192Z");
	expect_line(timestamp_utc(1549166706123456789, EMIT_JSON),
		    "{\"Timestamp\":\"2019-02-03T04:05:06.123456789Z\"}");

	/* Without utc: integer nanoseconds. Only the timestamp names convert. */
	Types__HTTP http = TYPES__HTTP__INIT;
	http.timestamp = 1;
	http.doneafter = 1;
	expect_line(render(&http.base, EMIT_CSV, ',', false, "Timestamp,DoneAfter", false), "1,1");
	expect_line(render(&http.base, EMIT_CSV, ',', true, "Timestamp,DoneAfter", false),
		    "1970-01-01T00:00:00.000000001Z,1");
	Types__Header hdr = TYPES__HEADER__INIT;
	hdr.created = 1549166706000000000;
	expect_line(render(&hdr.base, EMIT_CSV, ',', true, "Created", false),
		    "2019-02-03T04:05:06.000000000Z");
}

Test(emit, select_order_and_repeats)
{
	Types__UDP udp = TYPES__UDP__INIT;
	udp.srcport = 1;
	udp.dstport = 2;
	char *text = render(&udp.base, EMIT_CSV, ',', false, "DstPort, SrcPort,DstPort", true);
	cr_expect_str_eq(text, "DstPort,SrcPort,DstPort\n2,1,2\n");
	free(text);
	expect_line(json(&udp.base, "DstPort,SrcPort"), "{\"DstPort\":2,\"SrcPort\":1}");
}

Test(emit, select_unknown_name_lists_valid_names)
{
	struct emitter e;
	emit_init(&e, stdout);
	char err[1024];
	cr_assert_eq(emit_select(&e, &types__udp__descriptor, "SrcPort,Nope", err, sizeof err), -1);
	cr_expect(strstr(err, "\"Nope\""), "%s", err);
	cr_expect(strstr(err, "Timestamp,SrcPort,DstPort,Length,Checksum,PayloadEntropy,"
			      "PayloadSize,Payload,SrcIP,DstIP"), "%s", err);
	cr_expect_eq(e.nselected, 0);
	cr_assert_eq(emit_select(&e, &types__udp__descriptor, "SrcPort,,DstPort", err, sizeof err), -1);
	cr_assert_eq(emit_select(&e, &types__udp__descriptor, "", err, sizeof err), -1);
	/* A small buffer truncates the message, it does not overflow. */
	char small[16];
	cr_assert_eq(emit_select(&e, &types__udp__descriptor, "Nope", small, sizeof small), -1);
	cr_expect_eq(strlen(small), sizeof small - 1);
	emit_free(&e);
}

Test(emit, selection_of_another_type_is_refused)
{
	struct emitter e;
	emit_init(&e, stdout);
	char err[256];
	cr_assert_eq(emit_select(&e, &types__udp__descriptor, "SrcPort", err, sizeof err), 0);
	Types__TCP tcp = TYPES__TCP__INIT;
	cr_expect_eq(emit_record(&e, &tcp.base), -1);
	emit_free(&e);
}

static char *double_csv(double v)
{
	Types__UDP udp = TYPES__UDP__INIT;
	udp.payloadentropy = v;
	return csv(&udp.base, "PayloadEntropy");
}

Test(emit, double_shortest_round_trip)
{
	expect_line(double_csv(0.1), "0.1");
	expect_line(double_csv(0.1 + 0.2), "0.30000000000000004");
	expect_line(double_csv(1.0 / 3), "0.3333333333333333");
	expect_line(double_csv(7.999), "7.999");
	expect_line(double_csv(1e300), "1e+300");
	expect_line(double_csv(0), "0");
	expect_line(double_csv(NAN), "NaN");
	expect_line(double_csv(-INFINITY), "-Inf");
	const double values[] = {M_PI, 5e-324, 1.7976931348623157e308, 123456789.123456789,
				 -2.2250738585072014e-308, 0.1 * 3};
	for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
		char *text = double_csv(values[i]);
		cr_expect_eq(strtod(text, NULL), values[i], "%s does not read back", text);
		free(text);
	}
	Types__UDP udp = TYPES__UDP__INIT;
	udp.payloadentropy = NAN;
	expect_line(json(&udp.base, "PayloadEntropy"), "{\"PayloadEntropy\":null}");
	udp.payloadentropy = INFINITY;
	expect_line(json(&udp.base, "PayloadEntropy"), "{\"PayloadEntropy\":null}");
}

Test(emit, json_header_line_is_nothing)
{
	Types__UDP udp = TYPES__UDP__INIT;
	char *text = render(&udp.base, EMIT_JSON, ',', false, "SrcPort", true);
	cr_expect_str_eq(text, "{\"SrcPort\":0}\n");
	free(text);
}

Test(emit, buffers_reused_across_records)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	cr_assert_not_null(out);
	struct emitter e;
	emit_init(&e, out);
	static uint8_t big[100000];
	Types__UDP udp = TYPES__UDP__INIT;
	udp.payload = (ProtobufCBinaryData){sizeof big, big};
	cr_assert_eq(emit_record(&e, &udp.base), 0);
	udp.payload = (ProtobufCBinaryData){0, NULL};
	cr_assert_eq(emit_record(&e, &udp.base), 0);
	emit_free(&e);
	cr_assert_eq(fclose(out), 0);
	cr_expect_eq(size, 2 * (strlen("0,0,0,0,0,0,0,,,,false\n")) + 2 * sizeof big);
	free(text);
}

/* ---- control characters, backslashes, formulas ---- */

/* A terminal escape sequence in an LLDP system name (ESC [ 2 J clears the
 * screen, OSC 0 sets the window title, BEL ends it): never printed raw. */
Test(emit, csv_escapes_controls_and_backslash)
{
	Types__LinkLayerDiscoveryInfo lldp = TYPES__LINK_LAYER_DISCOVERY_INFO__INIT;
	lldp.sysname = "\x1b[2J\x1b]0;owned\x07sw1";
	lldp.portdescription = "back\\slash, \x01\x1f\x7f, C1 \xc2\x80\xc2\x9b\xc2\x9f, not C1 \xc2\xa0\xc3\xa9";
	expect_line(csv(&lldp.base, "SysName,PortDescription"),
		    "\\x1b[2J\\x1b]0;owned\\x07sw1,"
		    "\"back\\\\slash, \\x01\\x1f\\x7f, C1 \\xc2\\x80\\xc2\\x9b\\xc2\\x9f, not C1 \xc2\xa0\xc3\xa9\"");
	expect_line(json(&lldp.base, "SysName,PortDescription"),
		    "{\"SysName\":\"\\u001b[2J\\u001b]0;owned\\u0007sw1\","
		    "\"PortDescription\":\"back\\\\slash, \\u0001\\u001f\\u007f, C1 \\u0080\\u009b\\u009f, "
		    "not C1 \xc2\xa0\xc3\xa9\"}");
	/* The compact form: the same escapes, and its own specials. */
	Types__SIP sip = TYPES__SIP__INIT;
	char *headers[] = {"a\tb", "x\\y;z", "\xc2\x9b" "c"};
	sip.n_headers = 3;
	sip.headers = headers;
	expect_line(csv(&sip.base, "Headers"), "[a\\x09b|x\\\\y\\;z|\\xc2\\x9bc]");
}

/* Every C0 control, DEL and every C1 control, one at a time. */
Test(emit, every_control_character)
{
	for (unsigned c = 1; c < 0xa0; c++) {
		if (c >= 0x20 && c < 0x7f)
			continue;
		char text[8], want_csv[16], want_json[40];
		if (c < 0x80) {
			snprintf(text, sizeof text, "%c", c);
			snprintf(want_csv, sizeof want_csv, "\\x%02x", c);
		} else {
			snprintf(text, sizeof text, "\xc2%c", c);
			snprintf(want_csv, sizeof want_csv, "\\xc2\\x%02x", c);
		}
		snprintf(want_json, sizeof want_json, "{\"SrcIP\":\"\\u%04x\"}", c);
		Types__UDP udp = TYPES__UDP__INIT;
		udp.srcip = text;
		expect_line(csv(&udp.base, "SrcIP"), want_csv);
		expect_line(json(&udp.base, "SrcIP"), want_json);
	}
}

/* ---- the way back: a reader of CSV undoes the escapes ---- */

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The cell text of a one-cell CSV line, RFC 4180 quotes undone. */
static size_t csv_unquote(const char *line, char *out)
{
	size_t n = strlen(line), k = 0;
	cr_assert(n > 0 && line[n - 1] == '\n');
	n--;
	if (n && line[0] == '"') {
		cr_assert(n >= 2 && line[n - 1] == '"', "badly quoted: %s", line);
		for (size_t i = 1; i < n - 1; i++) {
			if (line[i] == '"') {
				cr_assert_eq(line[i + 1], '"', "lone quote in %s", line);
				i++;
			}
			out[k++] = line[i];
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			cr_assert(line[i] != '"' && line[i] != ',', "should have been quoted: %s", line);
			out[k++] = line[i];
		}
	}
	out[k] = '\0';
	return k;
}

/* Undoes the text escapes: \xNN is the byte NN, \c is c (\\, and in the
 * compact form its specials). Anything else is an error. */
static size_t unescape(const char *in, size_t n, char *out, bool compact)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		cr_assert(c >= 0x20 && c != 0x7f, "raw control 0x%02x in output", c);
		if (c != '\\') {
			out[k++] = (char)c;
			continue;
		}
		cr_assert_lt(i + 1, n, "a lone backslash at the end");
		char e = in[++i];
		if (e == 'x') {
			cr_assert_lt(i + 2, n);
			unsigned v;
			cr_assert_eq(sscanf(in + i + 1, "%2x", &v), 1);
			out[k++] = (char)v;
			i += 2;
		} else {
			cr_assert(e == '\\' || (compact && strchr("();|[]", e)), "unknown escape \\%c", e);
			out[k++] = e;
		}
	}
	out[k] = '\0';
	return k;
}

/* Random valid UTF-8 texts made of the characters that matter (controls,
 * DEL, C1, backslash, quotes, the separator, the compact form's specials,
 * "x" and hex digits after a backslash, multi-byte characters): printed as
 * a CSV cell and as a compact-form element, read back, they are the same
 * text; the output holds no raw control character. */
Test(emit, csv_escapes_read_back_exactly)
{
	static const char *const atoms[] = {
		"a", "x", "7", "f", "\\", "\\x", "\\\\", "\"", ",", ";", "|", "(", ")", "[", "]", " ", "=",
		"\t", "\n", "\r", "\x1b", "\x01", "\x1f", "\x7f", "\xc2\x80", "\xc2\x9b", "\xc2\x9f",
		"\xc2\xa0", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "'",
	};
	uint64_t seed = 0x243f6a8885a308d3u;
	char text[256], line_text[2048], back[2048];
	for (int round = 0; round < 3000; round++) {
		size_t n = 0, atoms_n = rng(&seed) % 24;
		for (size_t k = 0; k < atoms_n; k++) {
			const char *a = atoms[rng(&seed) % (sizeof atoms / sizeof *atoms)];
			memcpy(text + n, a, strlen(a));
			n += strlen(a);
		}
		text[n] = '\0';

		Types__UDP udp = TYPES__UDP__INIT;
		udp.srcip = text;
		char *line = csv(&udp.base, "SrcIP");
		size_t cell = csv_unquote(line, line_text);
		cr_assert_eq(unescape(line_text, cell, back, false), n);
		cr_assert_str_eq(back, text, "CSV cell %s", line);
		free(line);

		Types__SIP sip = TYPES__SIP__INIT;
		char *headers[] = {text};
		sip.n_headers = 1;
		sip.headers = headers;
		line = csv(&sip.base, "Headers");
		cell = csv_unquote(line, line_text);
		cr_assert(cell >= 2 && line_text[0] == '[' && line_text[cell - 1] == ']', "%s", line);
		line_text[cell - 1] = '\0';
		cr_assert_eq(unescape(line_text + 1, cell - 2, back, true), n);
		cr_assert_str_eq(back, text, "compact element %s", line);
		free(line);
	}
}

/* ---- --safe-csv ---- */

static char *safe_csv(const ProtobufCMessage *msg, const char *select)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	cr_assert_not_null(out);
	struct emitter e;
	emit_init(&e, out);
	e.safe_csv = true;
	char err[256];
	cr_assert_eq(emit_select(&e, msg->descriptor, select, err, sizeof err), 0, "%s", err);
	cr_assert_eq(emit_record(&e, msg), 0);
	emit_free(&e);
	cr_assert_eq(fclose(out), 0);
	return text;
}

Test(emit, safe_csv_defuses_formulas)
{
	static const struct {
		const char *in, *plain, *safe;
	} cases[] = {
		{"=1+1", "=1+1", "\"'=1+1\""},
		{"+1", "+1", "\"'+1\""},
		{"-1", "-1", "\"'-1\""},
		{"@SUM(A1)", "@SUM(A1)", "\"'@SUM(A1)\""},
		{"  =cmd", "  =cmd", "\"'  =cmd\""},
		/* OWASP's example: the quotes are doubled as usual. */
		{"=1+2\";=1+2", "\"=1+2\"\";=1+2\"", "\"'=1+2\"\";=1+2\""},
		{"=HYPERLINK(\"http://x/\",\"y\")", "\"=HYPERLINK(\"\"http://x/\"\",\"\"y\"\")\"",
		 "\"'=HYPERLINK(\"\"http://x/\"\",\"\"y\"\")\""},
		/* A tab, CR or LF first: escaped anyway, so it starts with \. */
		{"\t=1", "\\x09=1", "\\x09=1"},
		{"\r=1", "\\x0d=1", "\\x0d=1"},
		{"a=1", "a=1", "a=1"},
		{"", "", ""},
		{"10.0.0.1", "10.0.0.1", "10.0.0.1"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		Types__UDP udp = TYPES__UDP__INIT;
		udp.srcip = (char *)cases[i].in;
		expect_line(csv(&udp.base, "SrcIP"), cases[i].plain);
		expect_line(safe_csv(&udp.base, "SrcIP"), cases[i].safe);
	}
	/* Numbers are exempt, negative ones too: a number cannot call
	 * anything. */
	Types__UDP udp = TYPES__UDP__INIT;
	udp.timestamp = -5;
	udp.srcport = -1;
	udp.payloadentropy = -INFINITY;
	expect_line(safe_csv(&udp.base, "Timestamp,SrcPort,PayloadEntropy"), "-5,-1,-Inf");
	udp.payloadentropy = -0.5;
	expect_line(safe_csv(&udp.base, "PayloadEntropy"), "-0.5");
	Types__Header hdr = TYPES__HEADER__INIT;
	hdr.type = -3; /* an enum value the schema does not name */
	expect_line(safe_csv(&hdr.base, "Type"), "-3");
	/* Nested and repeated cells start with ( or [, never a formula. */
	Types__SIP sip = TYPES__SIP__INIT;
	char *headers[] = {"=1+1"};
	sip.n_headers = 1;
	sip.headers = headers;
	expect_line(safe_csv(&sip.base, "Headers"), "[=1+1]");
	/* JSON is not CSV: untouched. */
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	struct emitter e;
	emit_init(&e, out);
	e.format = EMIT_JSON;
	e.safe_csv = true;
	Types__UDP f = TYPES__UDP__INIT;
	f.srcip = "=1+1";
	char err[64];
	cr_assert_eq(emit_select(&e, f.base.descriptor, "SrcIP", err, sizeof err), 0);
	cr_assert_eq(emit_record(&e, &f.base), 0);
	emit_free(&e);
	fclose(out);
	expect_line(text, "{\"SrcIP\":\"=1+1\"}");
}

/* The extra column (netcap-label's Label) and lines of plain text cells
 * (its unmatched-alerts list): text from outside a record follows a
 * string field's rules, control bytes and invalid UTF-8 included. */
Test(emit, extra_column_and_text_lines_escaped_like_strings)
{
	Types__UDP u = TYPES__UDP__INIT;
	u.srcport = 53;
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	struct emitter e;
	emit_init(&e, out);
	e.extra_column = "Label";
	char err[256];
	cr_assert_eq(emit_select(&e, &types__udp__descriptor, "SrcPort", err, sizeof err), 0);
	cr_assert_eq(emit_header_line(&e, &types__udp__descriptor), 0);
	const char label[] = "a,\"b\"\x1b[31m\xff";
	cr_assert_eq(emit_record_extra(&e, &u.base, label, sizeof label - 1), 0);
	cr_assert_eq(emit_record_extra(&e, &u.base, NULL, 0), 0);
	e.format = EMIT_JSON;
	cr_assert_eq(emit_record_extra(&e, &u.base, label, sizeof label - 1), 0);
	e.format = EMIT_CSV;
	e.safe_csv = true;
	const char *cells[] = {"=1+1", NULL, "x\ny"};
	cr_assert_eq(emit_text_line(&e, cells, 3), 0);
	emit_free(&e);
	cr_assert_eq(fclose(out), 0);
	cr_expect_str_eq(text, "SrcPort,Label\n"
			       "53,\"a,\"\"b\"\"\\x1b[31m\xef\xbf\xbd\"\n"
			       "53,\n"
			       "{\"SrcPort\":53,\"Label\":\"a,\\\"b\\\"\\u001b[31m\xef\xbf\xbd\"}\n"
			       "\"'=1+1\",,x\\x0ay\n");
	free(text);
}
