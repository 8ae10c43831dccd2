/* libFuzzer target for what the DNS filter reads from the container and the
 * upstream: a query's question, an answer's CNAME chain and A records, and
 * the guard's judgement of the name.  Beyond "no crash, no sanitizer
 * report": an answer walk returns 0 or -1 with TTLs below 2^31, a parsed
 * question fits its buffers, and the guard gives one of its verdicts, with
 * a reason for every refusal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netpolicy/dns_guard.h"
#include "netpolicy/dns_msg.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int count (uint32_t addr, uint32_t ttl, void *data)
{
  (void) addr;
  if (ttl > 0x7fffffffu)
    abort ();
  (*(size_t *) data)++;
  return 0;
}

static struct coi_dns_guard guard;
static uint64_t now_ms = 1;

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* Exactly the input's bytes: ASan sees any read past them. */
  uint8_t *msg = malloc (size ? size : 1);
  if (msg == NULL)
    return 0;
  memcpy (msg, data, size);
  size_t n = 0;
  int r = coi_dns_foreach_a (msg, size, count, &n);
  if (r != 0 && r != -1)
    abort ();
  struct coi_dns_question q;
  if (coi_dns_parse_query (msg, size, &q) == 0)
    {
      if (strlen (q.name) > 255 || q.end > size)
        abort ();
      if (now_ms == 1)
        coi_dns_guard_init (&guard, 0, 0, now_ms);
      struct coi_dns_guard_result gr;
      coi_dns_guard_check (&guard, q.name, now_ms += 7, &gr);
      if (gr.verdict != COI_DNS_GUARD_PASS && gr.verdict != COI_DNS_GUARD_RATE
          && gr.verdict != COI_DNS_GUARD_TUNNEL)
        abort ();
      if (gr.verdict != COI_DNS_GUARD_PASS && gr.why == NULL)
        abort ();
      char tb[12];
      if (coi_dns_qtype_name (q.qtype, tb) == NULL)
        abort ();
    }
  free (msg);
  return 0;
}
