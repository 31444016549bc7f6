#pragma once
int cmd_placeholder(void);
