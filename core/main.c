/* SPDX-License-Identifier: MIT */
#include <stdio.h>
int main(int argc, char **argv)
{
	puts("batagg: not yet");
	return 0;
}
