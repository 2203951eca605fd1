// Builds the lesson's MLP and its model-file metadata through the installed ann::lesson, and
// draws nothing but links the figures' code; exits 0 on success.
#include <ann/ann.h>
#include <ann/lesson.h>
#include <ann/mlp_file.h>

int main() {
  using namespace ann;
  manual_seed(0);
  nn::Sequential model = lesson::make_mlp(2, 8, 1, 3, Activation::ReLU);
  const Metadata metadata = describe_mlp(2, 8, 1, 3, Activation::ReLU);
  nn::Sequential again = build_mlp_from_metadata(metadata);
  return model.parameters().size() == again.parameters().size() ? 0 : 1;
}
