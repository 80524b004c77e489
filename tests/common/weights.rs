//! Checkpoint weights edited in place, for the tests of what the loader refuses.
#![allow(dead_code)] // each test file uses a different part

/// The weights file with element `index` of tensor `name` set to `value`; names, shapes and
/// metadata (format version, progress, vocabulary) kept as they were.
pub fn with_value(model: &[u8], name: &str, index: usize, value: f32) -> Vec<u8> {
    let (_, header) = safetensors::SafeTensors::read_metadata(model).unwrap();
    let st = safetensors::SafeTensors::deserialize(model).unwrap();
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.shape().to_vec(), v.data().to_vec()))
        .collect();
    let (_, _, data) = tensors.iter_mut().find(|(n, _, _)| n == name).unwrap();
    data[index * 4..index * 4 + 4].copy_from_slice(&value.to_le_bytes());
    let views: Vec<(String, safetensors::tensor::TensorView)> = tensors
        .iter()
        .map(|(n, shape, data)| {
            let view =
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), data)
                    .unwrap();
            (n.clone(), view)
        })
        .collect();
    safetensors::serialize(views, header.metadata().clone()).unwrap()
}
