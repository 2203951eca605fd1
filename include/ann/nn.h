#pragma once
// The nn namespace: modules (Linear, activations, Sequential) and losses.
#include "ann/nn/activation.h"
#include "ann/nn/functional.h"
#include "ann/nn/functional_options.h"
#include "ann/nn/init.h"
#include "ann/nn/fusion.h"
#include "ann/nn/linear.h"
#include "ann/nn/loss.h"
#include "ann/nn/module.h"
#include "ann/nn/normalization.h"
#include "ann/nn/sequential.h"
#include "ann/nn/summary.h"
#include "ann/nn/utils.h"
