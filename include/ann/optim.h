#pragma once
// The optim namespace: SGD, Adam, AdamW.
#include "ann/optim/adam.h"
#include "ann/optim/lr_scheduler.h"
#include "ann/optim/optimizer.h"
#include "ann/optim/sgd.h"
