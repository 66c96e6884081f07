/* test_tls.c: TLS hellos over reassembled streams (lib/decode/tls.c):
 * the record layer and handshake joining (one call, records and calls
 * split anywhere, byte by byte), the TLSClientHello and TLSServerHello
 * records, and the JA3, JA3S, JA4 and JA4S fingerprints.
 *
 * Fingerprint vectors: FoxIO's worked examples (technical_details/JA4.md,
 * JA4S.md), and hellos taken from the nDPI test corpus
 * (../shared/corpus/ndpi: chrome.pcap, 443-firefox.pcap, 443-safari.pcap,
 * ja3_lots_of_cipher_suites_2_anon.pcap) whose JA3/JA3S are those nDPI's
 * .out files, tshark 4.0 and Suricata 7 give, and whose JA4 Suricata 7
 * gives (ja4-fingerprints: yes). The JA4S values of the corpus server
 * hellos come from an independent Python computation of FoxIO's
 * definition (Suricata 7 has no JA4S); the JA4S worked example checks
 * the definition itself. Each vector is the hello's whole first TLS
 * record, as on the wire.
 *
 * Checked beyond these vectors (by hand, not here): the ClientHellos of
 * 44 corpus pcaps (279 hellos) give tshark's JA3 for every one and
 * Suricata 7's JA4 except for hellos without signature algorithms, where
 * Suricata 7 still appends '_' to the c part's hashed string; JA4.md and
 * FoxIO's own tools do not, and neither does tls.c (ja4_alpn_and_empty_lists
 * and the no-algorithms case of ja4_worked_example pin that). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/tls.h"
#include "stream/app.h"
#include "stream/blocks.h"

static const char chrome_ch1[] =
	"1603010200010001fc0303d77aa0f252cff8ff81a9c82edc42621f8c80d83b0322361c96ae2f2bda7849ce207094dfde"
	"2fae965e90337a4b4c5c840b86caabaca5ab87a6e290440145ae762900209a9a130313011302cca9cca8c02bc02fc02c"
	"c030c013c014009c009d002f0035010001934a4a000000000013001100000e7777772e6969742e636e722e6974001700"
	"00ff01000100000a000a00086a6a001d00170018000b00020100002300000010000e000c02683208687474702f312e31"
	"000500050100000000000d0012001004030804040105030805050108060601001200000033002b00296a6a000100001d"
	"00203af18d95cb86205f04c0a3e2b8c68b9026c6a90ef630fe20a68d31ea2525b648002d00020101002b000b0a6a6a03"
	"04030303020301001b00030200024469000500030268326a6a000100001500c500000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000";
static const char chrome_sh1[] =
	"160303007a020000760303bde1e9fe06132c1da4440c7a1761fbf245676f09ff1efc082abb5f147115e650207094dfde"
	"2fae965e90337a4b4c5c840b86caabaca5ab87a6e290440145ae7629130200002e002b0002030400330024001d002023"
	"2131aa29442dc2c135ef23f856e6990d455f6d39b9a991e0710e2daf6a3421";
static const char chrome_ch2[] =
	"160301027601000272030302aad935c201779a61c55d1788fc836aa2fb425a52d0e942f45e30e5f538414f2045128499"
	"a158206eccf6192c7fdb1aa59ed7af3c698242cc04ff2ed5afca73b30020fafa130313011302cca9cca8c02bc02fc02c"
	"c030c013c014009c009d002f0035010002095a5a000000000013001100000e7777772e6969742e636e722e6974001700"
	"00ff01000100000a000a00085a5a001d00170018000b00020100002300000010000e000c02683208687474702f312e31"
	"000500050100000000000d0012001004030804040105030805050108060601001200000033002b00295a5a000100001d"
	"0020131377b7385b2b5ecd06bd3e5c7ae3fda6440783ee0dc476ad3544d1b979ff2d002d00020101002b000b0a8a8a03"
	"04030303020301001b00030200024469000500030268324a4a0001000029013b01060100332a7372a0335ac04064835c"
	"831fb28019e0065228c866f002680b0d0a65e6d91cc12939086f8f9287d81b7051fbeff4e5444b0a640620dd08419df0"
	"62f64320f40c693e57578be037fa74f17ed7c26f1d007b412367e15eddbc147631b1bf5726afbc84e9b9b174972c63ba"
	"1b2971627ca121f87f385d26da92b6d1cd04b6d686f97df1a29258872b0f2e8bc0c5dab938be46783a96d1f40480a58d"
	"db8daeaa89c505bc673beaaad892c578632e1bc6afe8304cf90a3f3d34bbad3862e3fc0dfa1830b5d7667074ed073611"
	"80c099132748ff8f002578fe06fbc1d0fe2a82d34bbf6b6d945fe03bec39bfdaeea762c01be4c912ca0640ba65534b74"
	"5015d931829e46690031306de96aa2b4c8214460e1d6f30f861da7e31c2e881d5441094276181c23b3b05ac98c756681"
	"1ce47a0c0948130c7d47ca";
static const char chrome_sh2[] =
	"16030300800200007c030344bc63672a516cf2b9a26bff7bdf7c472aaadc038dc775819ef8de5efa86cc0f2045128499"
	"a158206eccf6192c7fdb1aa59ed7af3c698242cc04ff2ed5afca73b31302000034002b0002030400330024001d0020cc"
	"d4d46d9c2cd4478d742025870fd78255df1d8ee7ca42e29c7ae5b5835c975f002900020000";
static const char firefox_ch[] =
	"1603010200010001fc0303946bf125d520b848e57d09c375afa7295beb220cd1470e0e81d09c77a6ebb61c20ee594a6f"
	"44641c6449c6cf9207b65d86e1cceefacb12202eaf7f1b923823d9f50024130113031302c02bc02fcca9cca8c02cc030"
	"c00ac009c013c01400330039002f0035000a0100018f00000011000f00000c7777772e6e746f702e6f726700170000ff"
	"01000100000a000e000c001d00170018001901000101000b00020100002300000010000e000c02683208687474702f31"
	"2e310005000501000000000033006b0069001d002011edefe3e699ce3aaf8ca89fc09be7532014ef953df40763060d94"
	"0a582ea04b0017004104d38e567337fe58d6d51c550202a5902e4978e5397292d86223056995ff63f225b03f1204612f"
	"ebc65cee1e0ec5823870893ffe756ac9cba259bfbf1461b4ed73002b0009080304030303020301000d00180016040305"
	"03060308040805080604010501060102030201002d00020101001c000240010015009200000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000";
static const char firefox_sh[] =
	"160303004e0200004a0303af33c2eb5caa28d2e9e87e01e871dbddfcdcbd07b8908fd5d914bdce5ea8e24a00cca80000"
	"22ff0100010000000000000b0004030001020023000000100005000302683200170000";
static const char safari_ch[] =
	"16030100e4010000e00303b753d483c3a76617db4892f2b8b36ccbbc8cdeb8b7bae52cd1940597423292be000028c02c"
	"c02bc024c023c00ac009cca9c030c02fc028c027c014c013cca8009d009c003d003c0035002f0100008fff0100010000"
	"000011000f00000c7777772e6e746f702e6f726700170000000d00140012040308040401050308050501080606010201"
	"000500050100000000337400000012000000100030002e0268320568322d31360568322d31350568322d313408737064"
	"792f332e3106737064792f3308687474702f312e31000b00020100000a000a0008001d001700180019";
static const char safari_sh[] =
	"160303006a0200006603038aa6c89ca6e7772e6938d81aefc7e10e6f353bb1ef4c122d1444c8cd4f3156092082a54189"
	"93b6431f479ce7c5cb61eef4bf60b53fdd7c3dac11c280a6fe55ee60cca800001eff0100010000000000000b00040300"
	"010200100005000302683200170000";
static const char lots_ch[] =
	"16030101920100018e030359bf8868b21eb10588bfa605cf85d6cc6c79c4bd2d876e05d9ab7a08989d1e4f000106c02c"
	"c030009fc0adc09fc024c028006bc00ac0140039c0afc0a3c087c08bc07dc073c07700c40088c02bc02f009ec0acc09e"
	"c023c0270067c009c0130033c0aec0a2c086c08ac07cc072c07600be0045c008c012001600abc0a7c03800b3c0360091"
	"c091c09bc097c0ab00aac0a6c03700b2c0350090c090c096c09ac0aac034008f009dc09d003d0035c032c02ac00fc02e"
	"c026c005c0a1c07b00c00084c08dc079c089c075009cc09c003c002fc031c029c00ec02dc025c004c0a0c07a00ba0041"
	"c08cc078c088c074000ac00dc00300ad00b70095c093c09900ac00b60094c092c098009300a9c0a500af008dc08fc095"
	"c0a900a8c0a400ae008cc08ec094c0a8008b00ff0100005f00000013001100000e3139322e36392e3133362e31373900"
	"0d001600140603060105030501040304010303030102030201000a001800160019001c0018001b00170016001a001500"
	"1400130012000b00020100001600000017000000230000";
static const char lots_sh[] =
	"160303003502000031030359bf823310f1b9f5273c5624397a91a09205c0570c7620f5d7197bd205adf65200009d0000"
	"09ff0100010000230000";

static struct decoder_ctx ctx;
static struct packet *pkt;
static struct block_pool pool;
static struct app_settings settings;
static struct stream_conn conn;
static struct app_env env;
static struct tls_state *st;
static struct block *st_block;

#define TS 1700000000000000000ll

static void setup(void)
{
	cr_assert_eq(decoder_init(&ctx, 1 << 20), 0);
	decoder_enable(&ctx, TYPES__TYPE__NC_TLSClientHello, true);
	decoder_enable(&ctx, TYPES__TYPE__NC_TLSServerHello, true);
	pkt = calloc(1, sizeof *pkt);
	cr_assert(pkt);
	pkt->has_mac = true;
	memcpy(pkt->src_mac, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(pkt->dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
	pkt->has_ports = true;
	pkt->src_port = 50000;
	pkt->dst_port = 443;
	cr_assert_eq(block_pool_init(&pool, BLOCKS_MIN_MEMORY), 0);
	settings = (struct app_settings){ .tls_handshake_max = APP_DEFAULT_TLS_HANDSHAKE_MAX };
	memset(&conn, 0, sizeof conn);
	conn.ep.version = 4;
	memcpy(conn.ep.client, "\x0a\x00\x00\x01", 4);
	memcpy(conn.ep.server, "\x0a\x00\x00\x02", 4);
	conn.ep.client_port = 50000;
	conn.ep.server_port = 443;
	env = (struct app_env){ .ctx = &ctx, .pkt = pkt, .blocks = &pool, .settings = &settings };
	/* As app.c keeps it: zeroed, in a pool block. */
	cr_assert_leq(tls_state_size, BLOCK_DATA);
	st_block = block_get(&pool);
	cr_assert(st_block);
	memset(st_block->data, 0, BLOCK_DATA);
	st = (struct tls_state *)(void *)st_block->data;
	tls_init(st, &settings);
}

static void teardown(void)
{
	block_pool_free(&pool);
	free(pkt);
	decoder_free(&ctx);
}

TestSuite(tls, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------- */

struct bytes {
	uint8_t b[8192];
	uint32_t len;
};

static void unhex(struct bytes *out, const char *hex)
{
	out->len = 0;
	for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) {
		unsigned v;
		cr_assert_eq(sscanf(hex + i, "%2x", &v), 1);
		cr_assert_lt(out->len, sizeof out->b);
		out->b[out->len++] = (uint8_t)v;
	}
}

static void put(struct bytes *o, const void *p, uint32_t n)
{
	cr_assert_leq(o->len + n, sizeof o->b);
	memcpy(o->b + o->len, p, n);
	o->len += n;
}
static void put8(struct bytes *o, uint32_t v) { uint8_t b = (uint8_t)v; put(o, &b, 1); }
static void put16(struct bytes *o, uint32_t v) { put8(o, v >> 8); put8(o, v); }
static void put24(struct bytes *o, uint32_t v) { put8(o, v >> 16); put16(o, v); }

/* The handshake message (header and body) of a one-record vector. */
static void message_of(struct bytes *msg, const struct bytes *record)
{
	msg->len = 0;
	put(msg, record->b + 5, record->len - 5);
}

/* The hello body (after the record and handshake headers). */
static const uint8_t *body_of(const struct bytes *record, uint32_t *len)
{
	*len = record->len - 9;
	return record->b + 9;
}

/* TLS records of type 22 carrying msg, cut at the given message offsets. */
static void records_of(struct bytes *out, const struct bytes *msg, const uint32_t *cuts, int n_cuts)
{
	out->len = 0;
	uint32_t start = 0;
	for (int i = 0; i <= n_cuts; i++) {
		uint32_t end = i < n_cuts ? cuts[i] : msg->len;
		put8(out, 22);
		put16(out, 0x0301);
		put16(out, end - start);
		put(out, msg->b + start, end - start);
		start = end;
	}
}

static void feed(int dir, const uint8_t *d, uint32_t n)
{
	tls_data(&env, &conn, st, dir, d, n, TS);
}

static void finish(void)
{
	tls_end(&env, &conn, st, TS);
	block_put(&pool, st_block);
	cr_assert_eq(pool.in_use, 0, "blocks left in use: %u", pool.in_use);
}

static ProtobufCMessage *find_record(int type)
{
	for (unsigned i = 0; i < pkt->n_rec; i++)
		if (pkt->rec[i].type == type)
			return pkt->rec[i].msg;
	return NULL;
}

static Types__TLSClientHello *client_record(void)
{
	return (Types__TLSClientHello *)find_record(TYPES__TYPE__NC_TLSClientHello);
}

static Types__TLSServerHello *server_record(void)
{
	return (Types__TLSServerHello *)find_record(TYPES__TYPE__NC_TLSServerHello);
}

static uint64_t tls_events(enum decode_reason r) { return ctx.stats.events[PROTO_TLS][r]; }

/* The checks every parse of chrome_ch1 must pass. */
static void check_chrome_ch1(Types__TLSClientHello *r, int32_t first_record_len)
{
	cr_assert(r, "no TLSClientHello record");
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->type, 22);
	cr_assert_eq(r->version, 0x0301);
	cr_assert_eq(r->messagelen, first_record_len);
	cr_assert_eq(r->handshaketype, 1);
	cr_assert_eq(r->handshakelen, 508);
	cr_assert_eq(r->handshakeversion, 0x0303);
	cr_assert_eq(r->random.len, 32);
	cr_assert_eq(r->random.data[0], 0xd7);
	cr_assert_eq(r->sessionidlen, 32);
	cr_assert_eq(r->sessionid.len, 32);
	cr_assert_eq(r->ciphersuitelen, 32);
	cr_assert_eq(r->n_ciphersuites, 16);
	cr_assert_eq(r->ciphersuites[0], 0x9a9a, "GREASE kept in the record");
	cr_assert_eq(r->ciphersuites[1], 0x1303);
	cr_assert_str_eq(r->sni, "www.iit.cnr.it");
	cr_assert(r->oscp);
	cr_assert_eq(r->n_compressmethods, 1);
	cr_assert_eq(r->n_alpns, 2);
	cr_assert_str_eq(r->alpns[0], "h2");
	cr_assert_str_eq(r->alpns[1], "http/1.1");
	cr_assert_eq(r->n_signaturealgs, 8);
	cr_assert_eq(r->signaturealgs[0], 0x0403);
	cr_assert_eq(r->n_supportedpoints, 1);
	cr_assert_geq(r->n_supportedgroups, 3);
	cr_assert_eq(r->n_extensions, 18, "16 and two GREASE: %zu", r->n_extensions);
	cr_assert(r->extensions[0] != 0 && (r->extensions[0] & 0x0f0f) == 0x0a0a, "first is GREASE");
	cr_assert_str_eq(r->ja3, "aa50c12a5dfa717d9d6ab34e97de79d5");
	cr_assert_str_eq(r->ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	cr_assert_str_eq(r->srcip, "10.0.0.1");
	cr_assert_str_eq(r->dstip, "10.0.0.2");
	cr_assert_eq(r->srcport, 50000);
	cr_assert_eq(r->dstport, 443);
	cr_assert_str_eq(r->srcmac, "02:00:00:00:00:01");
	cr_assert_str_eq(r->dstmac, "02:00:00:00:00:02");
	cr_assert_not(r->truncated);
}

/* ---- the record layer ------------------------------------------------------ */

Test(tls, client_hello_in_one_call)
{
	struct bytes rec;
	unhex(&rec, chrome_ch1);
	cr_assert(tls_is_handshake(rec.b, rec.len));
	cr_assert(tls_is_handshake(rec.b, 1));
	feed(0, rec.b, rec.len);
	check_chrome_ch1(client_record(), 512);
	cr_assert(conn.ignore[0], "nothing more wanted of the client");
	cr_assert_not(conn.ignore[1]);
	finish();
}

Test(tls, client_hello_over_two_records_and_three_calls)
{
	struct bytes rec, msg, stream;
	unhex(&rec, chrome_ch1);
	message_of(&msg, &rec);
	records_of(&stream, &msg, (uint32_t[]){ 200 }, 1);
	/* Calls cut inside the first record's header, inside the second's
	 * header, and in the body. */
	feed(0, stream.b, 3);
	feed(0, stream.b + 3, 205 + 2 - 3);
	cr_assert_null(client_record());
	cr_assert_gt(pool.in_use, 1, "the first part is held");
	feed(0, stream.b + 207, stream.len - 207);
	check_chrome_ch1(client_record(), 200);
	cr_assert(conn.ignore[0]);
	cr_assert_eq(pool.in_use, 1, "only the state's block after the hello");
	finish();
}

Test(tls, client_hello_byte_by_byte)
{
	struct bytes rec, msg, stream;
	unhex(&rec, chrome_ch1);
	message_of(&msg, &rec);
	records_of(&stream, &msg, (uint32_t[]){ 1, 3, 100, 101 }, 4);
	for (uint32_t i = 0; i < stream.len; i++)
		feed(0, stream.b + i, 1);
	check_chrome_ch1(client_record(), 1);
	finish();
}

Test(tls, handshake_messages_before_the_hello_are_skipped)
{
	/* A HelloRequest (type 0, empty) and an unknown message before the
	 * ClientHello, all in one record. */
	struct bytes rec, msg, stream;
	unhex(&rec, chrome_ch1);
	message_of(&msg, &rec);
	struct bytes all = { .len = 0 };
	put(&all, "\x00\x00\x00\x00", 4);
	put(&all, "\x63\x00\x00\x03xyz", 7);
	put(&all, msg.b, msg.len);
	records_of(&stream, &all, NULL, 0);
	feed(0, stream.b, stream.len);
	cr_assert(client_record());
	cr_assert_str_eq(client_record()->ja3, "aa50c12a5dfa717d9d6ab34e97de79d5");
	finish();
}

Test(tls, server_hello_tls12)
{
	struct bytes rec;
	unhex(&rec, firefox_sh);
	pkt->src_port = 443;
	pkt->dst_port = 50000;
	feed(1, rec.b, rec.len);
	Types__TLSServerHello *r = server_record();
	cr_assert(r);
	cr_assert_eq(r->version, 0x0303);
	cr_assert_eq(r->random.len, 32);
	cr_assert_eq(r->ciphersuite, 0xcca8);
	cr_assert_eq(r->compressionmethod, 0);
	cr_assert_eq(r->n_extensions, 6);
	cr_assert_eq(r->extensions[0], 0xff01);
	cr_assert(r->securerenegotiationsupported);
	cr_assert_eq(r->securerenegotiation.len, 0);
	cr_assert(r->ticketsupported);
	cr_assert(r->ems);
	cr_assert_str_eq(r->alpnprotocol, "h2");
	cr_assert_eq(r->supportedversion, 0);
	cr_assert_str_eq(r->ja3s, "3653a20186a5b490426131a611e01992");
	cr_assert_str_eq(r->ja4s, "t1206h2_cca8_17136cd5846b");
	cr_assert_str_eq(r->srcip, "10.0.0.2");
	cr_assert_eq(r->srcport, 443);
	cr_assert_eq(r->dstport, 50000);
	cr_assert_str_eq(r->srcmac, "02:00:00:00:00:01", "the packet is the server's");
	cr_assert(conn.ignore[1]);
	cr_assert_not(conn.ignore[0]);
	finish();
}

Test(tls, server_hello_tls13)
{
	struct bytes rec;
	unhex(&rec, chrome_sh1);
	feed(1, rec.b, rec.len);
	Types__TLSServerHello *r = server_record();
	cr_assert(r);
	cr_assert_eq(r->version, 0x0303);
	cr_assert_eq(r->ciphersuite, 0x1302);
	cr_assert_eq(r->supportedversion, 0x0304);
	cr_assert_eq(r->selectedgroup, 29, "x25519: %d", r->selectedgroup);
	cr_assert_eq(r->n_extensions, 2);
	cr_assert_str_eq(r->ja3s, "15af977ce25de452b96affa2addb1036");
	cr_assert_str_eq(r->ja4s, "t130200_1302_a56c5b993250");
	cr_assert_str_eq(r->srcmac, "", "the packet was the client's");
	finish();
}

Test(tls, hello_retry_request)
{
	/* A HelloRetryRequest: ServerHello with RFC 8446's special random,
	 * supported_versions, a 2-byte key_share (the group) and a cookie. */
	static const uint8_t hrr_random[32] = {
		0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
		0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
	};
	struct bytes body = { .len = 0 }, msg = { .len = 0 }, stream;
	put16(&body, 0x0303);
	put(&body, hrr_random, 32);
	put8(&body, 0);
	put16(&body, 0x1301);
	put8(&body, 0);
	put16(&body, 6 + 6 + 9);
	put16(&body, 43), put16(&body, 2), put16(&body, 0x0304);
	put16(&body, 51), put16(&body, 2), put16(&body, 0x0017);
	put16(&body, 44), put16(&body, 5), put16(&body, 3), put(&body, "abc", 3);
	put8(&msg, 2);
	put24(&msg, body.len);
	put(&msg, body.b, body.len);
	records_of(&stream, &msg, NULL, 0);
	feed(1, stream.b, stream.len);
	Types__TLSServerHello *r = server_record();
	cr_assert(r);
	cr_assert_eq(r->selectedgroup, 0x17);
	cr_assert_eq(r->supportedversion, 0x0304);
	cr_assert_eq(r->cookie.len, 3);
	cr_assert_eq(memcmp(r->cookie.data, "abc", 3), 0);
	cr_assert_eq(strncmp(r->ja4s, "t130300_1301_", 13), 0, "%s", r->ja4s);
	cr_assert(conn.ignore[1]);
	finish();
}

/* ---- fingerprints ------------------------------------------------------------ */

struct vector {
	const char *name, *hex;
	const char *ja3, *ja4;      /* client hellos */
	const char *ja3s, *ja4s;    /* server hellos */
};

static const struct vector vectors[] = {
	{ "chrome 1", chrome_ch1, "aa50c12a5dfa717d9d6ab34e97de79d5", "t13d1516h2_8daaf6152771_e5627efa2ab1", NULL, NULL },
	{ "chrome 1", chrome_sh1, NULL, NULL, "15af977ce25de452b96affa2addb1036", "t130200_1302_a56c5b993250" },
	{ "chrome 2", chrome_ch2, "1b73862eae8f1711440a446b1ef357fd", "t13d1516h2_8daaf6152771_9b887d9acb53", NULL, NULL },
	{ "chrome 2", chrome_sh2, NULL, NULL, "2253c82f03b621c5144709b393fde2c9", "t130300_1302_0ee26285a86f" },
	{ "firefox", firefox_ch, "b20b44b18b853ef29ab773e921b03422", "t13d1814h2_29a2cd9e9f10_d267a5f792d4", NULL, NULL },
	{ "firefox", firefox_sh, NULL, NULL, "3653a20186a5b490426131a611e01992", "t1206h2_cca8_17136cd5846b" },
	{ "safari", safari_ch, "a69708a64f853c3bcc214c2c5faf84f3", "t12d2010h2_2a284e3b0c56_f05fdf8c38a9", NULL, NULL },
	{ "safari", safari_sh, NULL, NULL, "f9fcb52580329fb6a9b61d7542087b90", "t1205h2_cca8_8763c20bf469" },
	{ "lots of ciphers", lots_ch, "50221ef5bde0fcee8864bbcea5211d51", NULL, NULL, NULL },
	{ "lots of ciphers", lots_sh, NULL, NULL, "7c02dbae662670040c7af9bd15fb7e2f", "t120200_009d_2412b79bd618" },
};

Test(tls, corpus_fingerprints)
{
	for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
		const struct vector *v = &vectors[i];
		struct bytes rec;
		unhex(&rec, v->hex);
		uint32_t len;
		const uint8_t *body = body_of(&rec, &len);
		char md5[33], ja4[37], ja4s[26], raw[TLS_JA3_RAW_MAX];
		if (v->ja3) {
			cr_assert(tls_ja3(body, len, md5, raw, sizeof raw), "%s", v->name);
			cr_assert_str_eq(md5, v->ja3, "%s JA3 (%s)", v->name, raw);
			cr_assert(tls_ja4(body, len, ja4), "%s", v->name);
			if (v->ja4)
				cr_assert_str_eq(ja4, v->ja4, "%s JA4", v->name);
			cr_assert_not(tls_ja3s(body, 10, md5, NULL, 0));
		} else {
			cr_assert(tls_ja3s(body, len, md5, raw, sizeof raw), "%s", v->name);
			cr_assert_str_eq(md5, v->ja3s, "%s JA3S (%s)", v->name, raw);
			cr_assert(tls_ja4s(body, len, ja4s), "%s", v->name);
			cr_assert_str_eq(ja4s, v->ja4s, "%s JA4S", v->name);
		}
	}
}

Test(tls, ja3_raw_strings)
{
	struct bytes rec;
	unhex(&rec, chrome_ch1);
	uint32_t len;
	const uint8_t *body = body_of(&rec, &len);
	char md5[33], raw[TLS_JA3_RAW_MAX];
	cr_assert(tls_ja3(body, len, md5, raw, sizeof raw));
	/* tshark's tls.handshake.ja3_full for this hello. */
	cr_assert_str_eq(raw, "771,4867-4865-4866-52393-52392-49195-49199-49196-49200-49171-49172-156-157-47-53,"
			      "0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-21,29-23-24,0");
	/* A short raw buffer is cut, the hash is not. */
	char small[8];
	cr_assert(tls_ja3(body, len, md5, small, sizeof small));
	cr_assert_str_eq(small, "771,486");
	cr_assert_str_eq(md5, "aa50c12a5dfa717d9d6ab34e97de79d5");
	unhex(&rec, chrome_sh1);
	body = body_of(&rec, &len);
	cr_assert(tls_ja3s(body, len, md5, raw, sizeof raw));
	cr_assert_str_eq(raw, "771,4866,43-51");
}

/* A ClientHello body with the given lists (GREASE or not, as given). */
static void build_client_hello(struct bytes *body, const uint16_t *ciphers, int n_ciphers,
			       const uint16_t *exts, int n_exts, const uint16_t *algs, int n_algs,
			       const char *alpn)
{
	body->len = 0;
	put16(body, 0x0303);
	for (int i = 0; i < 32; i++)
		put8(body, i);
	put8(body, 0);
	put16(body, 2 * n_ciphers);
	for (int i = 0; i < n_ciphers; i++)
		put16(body, ciphers[i]);
	put8(body, 1);
	put8(body, 0);
	struct bytes e = { .len = 0 };
	for (int i = 0; i < n_exts; i++) {
		put16(&e, exts[i]);
		switch (exts[i]) {
		case 0: /* example.com */
			put16(&e, 16), put16(&e, 14), put8(&e, 0), put16(&e, 11), put(&e, "example.com", 11);
			break;
		case 10:
			put16(&e, 10), put16(&e, 8), put16(&e, 0x2a2a), put16(&e, 29), put16(&e, 23), put16(&e, 24);
			break;
		case 11:
			put16(&e, 2), put8(&e, 1), put8(&e, 0);
			break;
		case 13:
			put16(&e, 2 + 2 * n_algs), put16(&e, 2 * n_algs);
			for (int k = 0; k < n_algs; k++)
				put16(&e, algs[k]);
			break;
		case 16: {
			uint32_t n = (uint32_t)strlen(alpn);
			put16(&e, 3 + n), put16(&e, 1 + n), put8(&e, n), put(&e, alpn, n);
			break;
		}
		case 43:
			put16(&e, 7), put8(&e, 6), put16(&e, 0x3a3a), put16(&e, 0x0304), put16(&e, 0x0303);
			break;
		default:
			put16(&e, 0);
		}
	}
	put16(body, e.len);
	put(body, e.b, e.len);
}

Test(tls, ja4_worked_example)
{
	/* JA4.md's example: 15 ciphers, 16 extensions, 8 signature
	 * algorithms, ALPN h2, GREASE mixed in (left out by JA4). */
	static const uint16_t ciphers[] = { 0x5a5a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
					    0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035 };
	static const uint16_t exts[] = { 0x0a0a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d,
					 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015, 0xfafa };
	static const uint16_t algs[] = { 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601 };
	struct bytes body;
	build_client_hello(&body, ciphers, 16, exts, 18, algs, 8, "h2");
	char ja4[37], md5[33], raw[TLS_JA3_RAW_MAX];
	cr_assert(tls_ja4(body.b, body.len, ja4));
	cr_assert_str_eq(ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	/* Without signature algorithms: the c part has no '_'. */
	static const uint16_t exts_no_algs[] = { 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d,
						 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
						 0x000d };
	build_client_hello(&body, ciphers, 16, exts_no_algs, 16, algs, 0, "h2");
	cr_assert(tls_ja4(body.b, body.len, ja4));
	cr_assert_str_eq(ja4 + 24, "6d807ffa2a79", "%s", ja4);
	/* GREASE left out of JA3 too (ciphers, extensions, groups). */
	build_client_hello(&body, ciphers, 16, exts, 18, algs, 8, "h2");
	cr_assert(tls_ja3(body.b, body.len, md5, raw, sizeof raw));
	cr_assert_str_eq(raw, "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
			      "27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0");
}

Test(tls, ja4_alpn_and_empty_lists)
{
	static const uint16_t exts[] = { 0x0010 };
	struct bytes body;
	char ja4[37];
	build_client_hello(&body, NULL, 0, exts, 1, NULL, 0, "http/1.1");
	cr_assert(tls_ja4(body.b, body.len, ja4));
	cr_assert_str_eq(ja4, "t12i0001h1_000000000000_000000000000");
	build_client_hello(&body, NULL, 0, exts, 1, NULL, 0, "\x30\xab");
	cr_assert(tls_ja4(body.b, body.len, ja4));
	cr_assert_eq(strncmp(ja4, "t12i00013b", 10), 0, "%s", ja4);
	build_client_hello(&body, NULL, 0, exts, 1, NULL, 0, "\x30\xab\xcd\x31");
	cr_assert(tls_ja4(body.b, body.len, ja4));
	cr_assert_eq(strncmp(ja4, "t12i000101", 10), 0, "%s", ja4);
	build_client_hello(&body, NULL, 0, exts, 1, NULL, 0, "x");
	cr_assert(tls_ja4(body.b, body.len, ja4));
	cr_assert_eq(strncmp(ja4, "t12i0001xx", 10), 0, "%s", ja4);
	build_client_hello(&body, NULL, 0, exts, 1, NULL, 0, "");
	cr_assert(tls_ja4(body.b, body.len, ja4));
	cr_assert_eq(strncmp(ja4, "t12i000100", 10), 0, "%s", ja4);
	/* supported_versions: its highest non-GREASE value. */
	static const uint16_t v13[] = { 0x002b };
	build_client_hello(&body, NULL, 0, v13, 1, NULL, 0, "");
	cr_assert(tls_ja4(body.b, body.len, ja4));
	cr_assert_eq(strncmp(ja4, "t13i000100", 10), 0, "%s", ja4);
}

Test(tls, ja4s_worked_example)
{
	/* JA4S.md: TLS 1.2, cipher c030, extensions 0005,0017,ff01,0000. */
	struct bytes body = { .len = 0 };
	put16(&body, 0x0303);
	for (int i = 0; i < 32; i++)
		put8(&body, i);
	put8(&body, 0);
	put16(&body, 0xc030);
	put8(&body, 0);
	put16(&body, 4 + 4 + 5 + 4);
	put16(&body, 5), put16(&body, 0);
	put16(&body, 0x17), put16(&body, 0);
	put16(&body, 0xff01), put16(&body, 1), put8(&body, 0);
	put16(&body, 0), put16(&body, 0);
	char ja4s[26], md5[33], raw[64];
	cr_assert(tls_ja4s(body.b, body.len, ja4s));
	cr_assert_str_eq(ja4s, "t120400_c030_4e8089b08790");
	cr_assert(tls_ja3s(body.b, body.len, md5, raw, sizeof raw));
	cr_assert_str_eq(raw, "771,49200,5-23-65281-0");
	/* No extensions at all. */
	body.len -= 2 + 17;
	cr_assert(tls_ja4s(body.b, body.len, ja4s));
	cr_assert_str_eq(ja4s, "t120000_c030_000000000000");
}

Test(tls, fingerprints_refuse_bad_hellos)
{
	struct bytes rec;
	unhex(&rec, chrome_ch1);
	uint32_t len;
	const uint8_t *body = body_of(&rec, &len);
	char md5[33], ja4[37];
	/* Up to the end of the compression methods (103 bytes) the body is
	 * a hello without extensions; every other cut contradicts a length. */
	cr_assert(tls_ja3(body, 103, md5, NULL, 0));
	for (uint32_t cut = 0; cut < len; cut++) {
		if (cut == 103)
			continue;
		cr_assert_not(tls_ja3(body, cut, md5, NULL, 0), "cut %u", cut);
		cr_assert_not(tls_ja4(body, cut, ja4), "cut %u", cut);
		cr_assert_eq(md5[0], 0);
	}
}

/* ---- faults ------------------------------------------------------------------- */

Test(tls, hello_longer_than_the_cap)
{
	settings.tls_handshake_max = 100;
	tls_init(st, &settings);
	struct bytes rec;
	unhex(&rec, chrome_ch1);
	feed(0, rec.b, rec.len);
	cr_assert_null(client_record());
	cr_assert_eq(tls_events(REASON_CAPPED), 1);
	cr_assert(conn.ignore[0]);
	finish();
}

Test(tls, garbage_start)
{
	static const char get[] = "GET / HTTP/1.1\r\n\r\n";
	cr_assert_not(tls_is_handshake((const uint8_t *)get, sizeof get - 1));
	feed(0, (const uint8_t *)get, sizeof get - 1);
	cr_assert_eq(tls_events(REASON_BAD_VALUE), 1);
	cr_assert(conn.ignore[0]);
	/* The server's first bytes: a record with version 2.x. */
	feed(1, (const uint8_t *)"\x16\x02\x00\x00\x01\x02", 6);
	cr_assert_eq(tls_events(REASON_BAD_VALUE), 2);
	cr_assert(conn.ignore[1]);
	cr_assert_eq(pkt->n_rec, 0);
	finish();
}

Test(tls, sslv2_client_hello)
{
	static const uint8_t v2[] = { 0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10 };
	/* The connection is TLS (the server answers in TLS records), the
	 * client's hello is not parsed, the server's is. */
	cr_assert(tls_is_handshake(v2, sizeof v2));
	cr_assert(tls_is_handshake(v2, 1));
	cr_assert_not(tls_is_handshake((const uint8_t *)"\x80\x2e\x05", 3));
	feed(0, v2, sizeof v2);
	cr_assert_eq(tls_events(REASON_BAD_VERSION), 1);
	cr_assert(conn.ignore[0]);
	cr_assert_null(client_record());
	struct bytes rec;
	unhex(&rec, firefox_sh);
	feed(1, rec.b, rec.len);
	cr_assert(server_record());
	finish();
}

Test(tls, record_too_long)
{
	feed(0, (const uint8_t *)"\x16\x03\x01\x48\x01", 5);
	cr_assert_eq(tls_events(REASON_BAD_VALUE), 1);
	cr_assert(conn.ignore[0]);
	finish();
}

Test(tls, extension_past_the_message)
{
	struct bytes rec, msg, stream;
	unhex(&rec, chrome_ch1);
	message_of(&msg, &rec);
	/* The extension block's length (after version, random, session id,
	 * ciphers and compression) made 1 byte longer than the message. */
	uint32_t at = 4 + 2 + 32 + 1 + 32 + 2 + 32 + 1 + 1;
	uint32_t n = (uint32_t)msg.b[at] << 8 | msg.b[at + 1];
	n++;
	msg.b[at] = (uint8_t)(n >> 8);
	msg.b[at + 1] = (uint8_t)n;
	records_of(&stream, &msg, NULL, 0);
	feed(0, stream.b, stream.len);
	Types__TLSClientHello *r = client_record();
	cr_assert(r, "a record of what parsed");
	cr_assert(r->truncated);
	cr_assert_eq(tls_events(REASON_BAD_LENGTH), 1);
	cr_assert_str_eq(r->ja3, "");
	cr_assert_str_eq(r->ja4, "");
	cr_assert_eq(r->n_ciphersuites, 16);
	cr_assert_str_eq(r->sni, "www.iit.cnr.it", "extensions before the fault are kept");
	cr_assert(conn.ignore[0]);
	finish();
}

Test(tls, inner_list_past_its_extension)
{
	/* An SNI list length larger than the SNI extension. */
	static const uint16_t exts[] = { 0x0000, 0x000a };
	struct bytes body, msg = { .len = 0 }, stream;
	build_client_hello(&body, (const uint16_t[]){ 0x1301 }, 1, exts, 2, NULL, 0, "");
	uint32_t at = 2 + 32 + 1 + 2 + 2 + 2 + 2 + 2 + 2; /* the SNI list length */
	cr_assert_eq(body.b[at + 1], 14);
	body.b[at + 1] = 200;
	char ja4[37];
	cr_assert_not(tls_ja4(body.b, body.len, ja4));
	put8(&msg, 1);
	put24(&msg, body.len);
	put(&msg, body.b, body.len);
	records_of(&stream, &msg, NULL, 0);
	feed(0, stream.b, stream.len);
	Types__TLSClientHello *r = client_record();
	cr_assert(r);
	cr_assert(r->truncated);
	cr_assert_eq(r->n_supportedgroups, 4, "later extensions are still read");
	cr_assert_str_eq(r->ja4, "");
	finish();
}

Test(tls, gap_stops_the_direction)
{
	struct bytes rec;
	unhex(&rec, chrome_ch1);
	feed(0, rec.b, 300);
	cr_assert_gt(pool.in_use, 1);
	tls_gap(&env, &conn, st, 0, 100, TS);
	cr_assert(conn.ignore[0]);
	cr_assert_eq(pool.in_use, 1, "the partial hello is let go");
	feed(0, rec.b + 400, rec.len - 400);
	cr_assert_null(client_record());
	finish();
}

Test(tls, end_frees_partial_hellos)
{
	struct bytes rec;
	unhex(&rec, chrome_ch1);
	feed(0, rec.b, 300);
	unhex(&rec, firefox_sh);
	feed(1, rec.b, 50);
	cr_assert_gt(pool.in_use, 2);
	finish();
}

Test(tls, non_handshake_record_first)
{
	/* A ChangeCipherSpec from the server: a resumed session. */
	feed(1, (const uint8_t *)"\x14\x03\x03\x00\x01\x01", 6);
	cr_assert(conn.ignore[1]);
	cr_assert_eq(tls_events(REASON_BAD_VALUE), 0);
	cr_assert_null(server_record());
	finish();
}

Test(tls, alert_before_the_server_hello_is_skipped)
{
	/* A warning alert (unrecognized_name) ahead of the ServerHello, as
	 * some servers send it: the hello after it still becomes a record. */
	feed(1, (const uint8_t *)"\x15\x03\x03\x00\x02\x01\x70", 7);
	cr_assert(!conn.ignore[1]);
	struct bytes rec;
	unhex(&rec, firefox_sh);
	feed(1, rec.b, rec.len);
	Types__TLSServerHello *r = server_record();
	cr_assert(r);
	cr_assert_str_eq(r->ja3s, "3653a20186a5b490426131a611e01992");
	finish();
}

Test(tls, ignore_after_the_hello)
{
	struct bytes rec;
	unhex(&rec, chrome_ch1);
	feed(0, rec.b, rec.len);
	cr_assert(conn.ignore[0]);
	unsigned n = pkt->n_rec;
	/* A second hello in the same direction is not read. */
	feed(0, rec.b, rec.len);
	cr_assert_eq(pkt->n_rec, n);
	finish();
}

Test(tls, types_disabled)
{
	decoder_enable(&ctx, TYPES__TYPE__NC_TLSClientHello, false);
	decoder_enable(&ctx, TYPES__TYPE__NC_TLSServerHello, false);
	struct bytes rec;
	unhex(&rec, chrome_ch1);
	feed(0, rec.b, rec.len);
	unhex(&rec, chrome_sh1);
	feed(1, rec.b, rec.len);
	cr_assert_eq(pkt->n_rec, 0);
	cr_assert(conn.ignore[0]);
	cr_assert(conn.ignore[1]);
	finish();
}

Test(tls, lists_past_their_caps)
{
	/* 600 cipher suites: the record keeps 512 (Truncated, TLS/capped);
	 * the fingerprints still cover them all. */
	static uint16_t ciphers[600];
	for (int i = 0; i < 600; i++)
		ciphers[i] = (uint16_t)(i + 1);
	static const uint16_t exts[] = { 0x000a };
	struct bytes body, msg = { .len = 0 }, stream;
	build_client_hello(&body, ciphers, 600, exts, 1, NULL, 0, "");
	put8(&msg, 1);
	put24(&msg, body.len);
	put(&msg, body.b, body.len);
	records_of(&stream, &msg, NULL, 0);
	feed(0, stream.b, stream.len);
	Types__TLSClientHello *r = client_record();
	cr_assert(r);
	cr_assert_eq(r->n_ciphersuites, 512);
	cr_assert_eq(r->ciphersuitelen, 1200);
	cr_assert(r->truncated);
	cr_assert_eq(tls_events(REASON_CAPPED), 1);
	char ja4[37];
	cr_assert(tls_ja4(body.b, body.len, ja4));
	cr_assert_str_eq(r->ja4, ja4);
	cr_assert_eq(strncmp(ja4, "t12i9901", 8), 0, "counts stop at 99: %s", ja4);
	cr_assert_eq(strlen(r->ja3), 32);
	finish();
}

Test(tls, pool_refusal)
{
	/* The pool (32 blocks) all taken: the joined hello cannot be kept. */
	struct block *taken[40];
	unsigned n = 0;
	while (pool.in_use < pool.total && n < 40)
		taken[n++] = block_get(&pool);
	struct bytes rec, msg, stream;
	unhex(&rec, chrome_ch1);
	message_of(&msg, &rec);
	records_of(&stream, &msg, (uint32_t[]){ 100 }, 1);
	feed(0, stream.b, stream.len);
	cr_assert_null(client_record());
	cr_assert_eq(tls_events(REASON_MEMORY), 1);
	cr_assert(conn.ignore[0]);
	while (n)
		block_put(&pool, taken[--n]);
	finish();
}
