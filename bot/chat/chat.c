/*
 * chat.c - what every transport reads the same way in the core's posts;
 * see chat.h.
 */
#include "util/base.h"
#include "chat/chat.h"

int chat_step_of(const char *text)
{
	static const char mark[] = "\xe2\x96\xb6 "; /* "▶ " */
	const char *dot;
	int k;

	if (strncmp(text, mark, strlen(mark)))
		return 0;
	dot = strstr(text, " \xc2\xb7 S"); /* " · S" */
	if (!dot || sscanf(dot, " \xc2\xb7 S%d of", &k) != 1 || k <= 0)
		return 0;
	return k;
}

bool chat_room_is_direct(const char *platform, const char *room)
{
	return platform && room && !strcmp(platform, "slack") && room[0] == 'D';
}
