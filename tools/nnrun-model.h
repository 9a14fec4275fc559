/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun eval and nnrun predict: using a saved model. */
#pragma once

int nnrun_cmd_eval    (int    argc,
                       char **argv);
int nnrun_cmd_predict (int    argc,
                       char **argv);
