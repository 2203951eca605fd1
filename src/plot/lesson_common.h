#pragma once
// Private to the plot module: what the lesson's figures share — canvas size, the notebooks'
// plot_data frame, tensors as plain values.
#include <vector>

#include "ann/plot/lesson_figures.h"

namespace ann::plot::detail {

/// 800 px square panels at 100 dpi (times style.scale), `panels` side by side.
Figure lesson_canvas(int panels, const Style& style, double aspect = 1.0);
/// plot_data's frame: limits ±1.1·zoom both ways, axis square, axis off, lines through 0.
Axes& data_frame(Axes& axes, double zoom = 1.0);
/// A tensor's elements as doubles (row-major).
std::vector<double> values(const Tensor& t);
/// Accuracy as the titles print it, e.g. "94.9%".
std::string percent(double fraction);

/// matplotlib's single-letter colours the regression notebook uses: 'r', 'y' (the std
/// curve), 'g' (the variance curve).
inline Color mpl_red() { return {1.0, 0.0, 0.0, 1.0}; }
inline Color mpl_yellow() { return {0.75, 0.75, 0.0, 1.0}; }
inline Color mpl_green() { return {0.0, 0.5, 0.0, 1.0}; }

}  // namespace ann::plot::detail
