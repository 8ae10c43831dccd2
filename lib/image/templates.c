#include "image/templates.h"

/* pongo2, rendered by Incus at create and copy. */
#define NET_IF(key) "{% if config_get(\"" key "\", \"\") %}"
#define NET_VAL(key) "{{ config_get(\"" key "\", \"\") }}"

const struct coi_image_template coi_image_templates[] = {
  { "/etc/hostname", "hostname.tpl", "{{ container.name }}\n" },
  { "/etc/hosts", "hosts.tpl",
    "127.0.0.1 localhost\n"
    "127.0.1.1 {{ container.name }}\n"
    "::1 localhost ip6-localhost ip6-loopback\n"
    "ff02::1 ip6-allnodes\n"
    "ff02::2 ip6-allrouters\n" },
  /* KeepConfiguration: `coi run` configures eth0 itself right after start;
     networkd, starting later, must adopt that instead of redoing it. */
  { "/etc/systemd/network/10-coi-eth0.network", "coi-eth0.network.tpl",
    "[Match]\nName=eth0\n\n[Network]\n" NET_IF (COI_NET_KEY_ADDRESS)
    "# coi: this container's fixed address\n"
    "Address=" NET_VAL (COI_NET_KEY_ADDRESS) "\n"
    "Gateway=" NET_VAL (COI_NET_KEY_GATEWAY) "\n"
    "DNS=" NET_VAL (COI_NET_KEY_GATEWAY) "\n"
    "LinkLocalAddressing=no\nIPv6AcceptRA=no\nKeepConfiguration=static\n"
    "{% else %}DHCP=yes\n{% endif %}" },
  /* The gateway directly: a command may run before systemd-resolved does. */
  { "/etc/resolv.conf", "resolv.conf.tpl",
    NET_IF (COI_NET_KEY_GATEWAY) "nameserver " NET_VAL (COI_NET_KEY_GATEWAY) "\n"
    "{% else %}nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n{% endif %}" },
};

const size_t coi_image_ntemplates = sizeof coi_image_templates / sizeof coi_image_templates[0];
