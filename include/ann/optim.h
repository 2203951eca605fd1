#pragma once
// The optim namespace: SGD, Adam, AdamW, RMSprop, Adagrad, LBFGS, and the learning-rate schedulers.
#include "ann/optim/adagrad.h"
#include "ann/optim/adam.h"
#include "ann/optim/lbfgs.h"
#include "ann/optim/lr_scheduler.h"
#include "ann/optim/optimizer.h"
#include "ann/optim/rmsprop.h"
#include "ann/optim/sgd.h"
