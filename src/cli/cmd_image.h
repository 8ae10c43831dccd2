/* Shared between cmd_image.c and cmd_image_list.c. */
#ifndef COI_CLI_CMD_IMAGE_H
#define COI_CLI_CMD_IMAGE_H

/* Bytes as COI shows them: 512B, 1.5KB, 194.7MB, 2.0GB. */
void coi_format_size (long long bytes, char out[32]);

#endif
