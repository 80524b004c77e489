pub mod fused;
