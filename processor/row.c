// SPDX-License-Identifier: MIT
/* row.c - names of the kept events and of the row columns. */
#include <string.h>

#include "pw-row.h"

static const char *const event_names[] = {
#define PW_EV_NAME(id, name) name,
	PW_EVENTS(PW_EV_NAME)
#undef PW_EV_NAME
};

static const char *const column_names[] = {
#define PW_COL_NAME(id, name) name,
	PW_COLUMNS(PW_COL_NAME)
#undef PW_COL_NAME
};

const char *pw_event_name(int ev)
{
	return ev >= 0 && ev < PW_EV__MAX ? event_names[ev] : NULL;
}

int pw_event_from_name(const char *name)
{
	for (int i = 0; i < PW_EV__MAX; i++)
		if (!strcmp(event_names[i], name))
			return i;
	return -1;
}

const char *pw_column_name(int col)
{
	return col >= 0 && col < PW_COL__MAX ? column_names[col] : NULL;
}
